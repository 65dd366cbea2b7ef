/**
 * Typed errors. Each carries a stable `code`, the context needed to act on it
 * (dataset, row key, Notion request id, SQL function…) and whether retrying the
 * same operation can succeed.
 */
/** What went wrong, in words: an Error's message, or anything else as a string. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export type ErrorContext = Readonly<Record<string, string | number | boolean | null | undefined>>;

interface TokensyncErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
  retryable?: boolean;
}

export abstract class TokensyncError extends Error {
  abstract readonly code: string;
  readonly context: ErrorContext;
  readonly retryable: boolean;

  constructor(message: string, options: TokensyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
    this.retryable = options.retryable ?? false;
  }
}

export interface ConfigIssue {
  variable: string;
  problem: string;
}

/** The environment is missing a variable or holds a malformed one. Never retryable. */
export class ConfigError extends TokensyncError {
  readonly code = 'config_invalid';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(['Invalid configuration:', ...issues.map((i) => `  - ${i.variable}: ${i.problem}`)].join('\n'));
    this.issues = issues;
  }
}

/** A value that an env file would not read back as written (a line break would add a variable); nothing was written. */
export class EnvFileValueError extends TokensyncError {
  readonly code = 'env_file_value_refused';

  constructor(key: string, why: string) {
    super(`refused to write ${key} to the env file: its value ${why}; nothing was written`, { context: { key } });
  }
}

/** A migration file failed; nothing of it was applied. */
export class MigrationError extends TokensyncError {
  readonly code = 'migration_failed';
}

/** A call into the database (a SQL function, by either transport) failed. */
export class DatabaseError extends TokensyncError {
  readonly code = 'database_error';
  /** Postgres SQLSTATE when the server answered, e.g. 23514 for a check violation. */
  readonly sqlState: string | undefined;
  readonly constraint: string | undefined;

  constructor(
    message: string,
    options: TokensyncErrorOptions & { sqlState?: string | undefined; constraint?: string | undefined },
  ) {
    super(message, options);
    this.sqlState = options.sqlState;
    this.constraint = options.constraint;
  }
}

/** A budget reservation denied a call (a limit, a quota, a tier gate or a paused agent); the reason says which. */
export class BudgetDeniedError extends TokensyncError {
  readonly code = 'budget_denied';
  /** The lowest tier that would allow it, when one would. */
  readonly upgradeTier: string | null;

  constructor(reason: string, options: { upgradeTier?: string | null; context?: ErrorContext } = {}) {
    super(reason, { ...(options.context ? { context: options.context } : {}), retryable: false });
    this.upgradeTier = options.upgradeTier ?? null;
  }
}

/** SQLSTATEs after which the same call may succeed: lost connection, shutdown, serialization, overload. */
export function isTransientSqlState(sqlState: string | undefined): boolean {
  if (!sqlState) return false;
  return (
    sqlState.startsWith('08') ||
    sqlState === '40001' ||
    sqlState === '40P01' ||
    sqlState === '53300' ||
    sqlState === '57P01' ||
    sqlState === '57P02' ||
    sqlState === '57P03'
  );
}
