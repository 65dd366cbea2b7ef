/** One line of `npm run verify`: a check that passed, or failed with its fix. */
export type CheckGroup = 'config' | 'supabase' | 'redis' | 'notion';
export const CHECK_GROUPS: readonly CheckGroup[] = ['config', 'supabase', 'redis', 'notion'];

export interface CheckResult {
  group: CheckGroup;
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const pass = (group: CheckGroup, name: string, detail: string): CheckResult => ({ group, name, ok: true, detail });
export const fail = (group: CheckGroup, name: string, detail: string, fix: string): CheckResult => ({ group, name, ok: false, detail, fix });

export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
