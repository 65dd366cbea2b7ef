/** One line of `npm run verify`: a check that passed, passed with a warning, or failed; with the fix. */
export type CheckGroup = 'config' | 'supabase' | 'redis' | 'notion' | 'sync';
export const CHECK_GROUPS: readonly CheckGroup[] = ['config', 'supabase', 'redis', 'notion', 'sync'];

export interface CheckResult {
  group: CheckGroup;
  name: string;
  ok: boolean;
  /** Passed, but worth a look (a lane that does not keep up): it does not fail verify. */
  warning?: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const pass = (group: CheckGroup, name: string, detail: string): CheckResult => ({ group, name, ok: true, detail });
export const warn = (group: CheckGroup, name: string, detail: string, fix: string): CheckResult => ({ group, name, ok: true, warning: true, detail, fix });
export const fail = (group: CheckGroup, name: string, detail: string, fix: string): CheckResult => ({ group, name, ok: false, detail, fix });

export { messageOf as errorMessage } from '../errors.js';
