import { describe, expect, it } from 'vitest';
import { catalogueAgeDays, catalogueInfo, installedCatalogueVersion } from '../../src/sdk/pricing/catalogue-info.js';
import { checkCatalogueAge } from '../../src/verify/catalogue.js';

describe('the bundled catalogue’s date', () => {
  it('is recorded for the installed version (update catalogue-info.ts with the package)', () => {
    const info = catalogueInfo();
    expect(info.version).toBe(installedCatalogueVersion());
    expect(info.publishedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('verify passes a young catalogue and warns on an old one, or one without a date', () => {
    const info = { version: '0.1.8', publishedOn: '2026-09-23' };
    expect(catalogueAgeDays(info, new Date('2026-12-05T12:00:00Z'))).toBe(73);
    expect(checkCatalogueAge(60, new Date('2026-10-01T00:00:00Z'), info)).toMatchObject({ ok: true, detail: expect.stringContaining('8 days old') });
    expect(checkCatalogueAge(60, new Date('2026-12-05T12:00:00Z'), info)).toMatchObject({
      ok: true, warning: true, detail: expect.stringContaining('73 days old (more than PRICING_CATALOGUE_MAX_AGE_DAYS=60)'),
    });
    expect(checkCatalogueAge(60, new Date(), { version: '9.9.9', publishedOn: null })).toMatchObject({ ok: true, warning: true });
  });
});
