/**
 * The package root (`tokensync`): the tracking SDK, and the typed errors it can
 * surface. The worker and the CLIs are commands, not part of this API.
 */
export * from './sdk/index.js';
export { TokensyncError, ConfigError, DatabaseError } from './errors.js';
