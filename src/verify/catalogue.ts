/** The bundled price catalogue's age: prices change, and an old catalogue misprices quietly. */
import { CATALOGUE_PACKAGE, catalogueAgeDays, catalogueInfo, type CatalogueInfo } from '../sdk/pricing/catalogue-info.js';
import { pass, warn, type CheckResult } from './check.js';

const FIX = `npm view ${CATALOGUE_PACKAGE} version; if newer, npm update ${CATALOGUE_PACKAGE} (and record its date in src/sdk/pricing/catalogue-info.ts), else set newer prices in model_pricing (npm run prices -- --apply)`;

/** A warning, never a failure: an old catalogue still prices every call. */
export function checkCatalogueAge(maxAgeDays: number, now: Date = new Date(), info: CatalogueInfo = catalogueInfo()): CheckResult {
  const age = catalogueAgeDays(info, now);
  const name = 'price catalogue';
  if (age === null) return warn('config', name, `${CATALOGUE_PACKAGE} ${info.version}: its date is not recorded`, FIX);
  const detail = `${CATALOGUE_PACKAGE} ${info.version} of ${info.publishedOn}, ${age} days old`;
  if (age > maxAgeDays) return warn('config', name, `${detail} (more than PRICING_CATALOGUE_MAX_AGE_DAYS=${maxAgeDays})`, FIX);
  return pass('config', name, detail);
}
