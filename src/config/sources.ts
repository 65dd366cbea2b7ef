/**
 * Where the environment comes from: the one loader every command and the
 * worker use. Lowest to highest precedence:
 *
 *   .env  <  .env.local  <  NOTION_ENV_FILE  <  process environment  <  --env-file
 *
 * NOTION_ENV_FILE is where setup:notion records the ids it provisions (and the
 * worker a webhook's secret): it is read back by every command, above the
 * dotfiles so that ids setup just wrote are never shadowed by stale ones, and
 * below the process environment, whose values always win. Its own location is
 * taken from the other layers (default `.env.local`). A file named on a
 * command line (`verify --env-file .env.demo`) is the caller's explicit choice
 * and wins over everything. An empty value counts as unset everywhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../errors.js';

export type RawEnvironment = Readonly<Record<string, string | undefined>>;

/** Where setup:notion records ids when NOTION_ENV_FILE is unset. */
export const DEFAULT_NOTION_ENV_FILE = '.env.local';

/** Where a variable's value came from: a file's path, or `environment`. */
export type Origin = string;

export interface LayeredEnvironment {
  values: RawEnvironment;
  /** Per variable set, where its value came from. */
  origins: Readonly<Record<string, Origin>>;
  /** The ids file (NOTION_ENV_FILE) as read, resolved against the working directory. */
  notionEnvFile: { path: string; exists: boolean; values: Readonly<Record<string, string>> };
}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

export function readEnvironmentLayers(cwd: string = process.cwd(), env: RawEnvironment = process.env, envFile?: string): LayeredEnvironment {
  const fromFile = (name: string, variable = name): Record<string, string> => {
    const path = resolve(cwd, name);
    if (!existsSync(path)) return {};
    try {
      return parseDotenv(readFileSync(path));
    } catch (error) {
      throw new ConfigError([{ variable, problem: `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it must be an env file` }]);
    }
  };
  if (envFile !== undefined && !existsSync(resolve(cwd, envFile))) {
    throw new ConfigError([{ variable: '--env-file', problem: `${envFile} does not exist (npm run demo writes .env.demo)` }]);
  }
  const processLayer: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (isSet(value)) processLayer[key] = value;
  const commandLine = envFile === undefined ? {} : fromFile(envFile, '--env-file');
  const dotfiles = [
    { origin: resolve(cwd, '.env'), values: fromFile('.env') },
    { origin: resolve(cwd, '.env.local'), values: fromFile('.env.local') },
  ];

  // Where the ids file is, by every other layer's precedence.
  const named = [commandLine, processLayer, ...dotfiles.map((d) => d.values).reverse()].map((l) => l.NOTION_ENV_FILE).find(isSet);
  const idsPath = resolve(cwd, named?.trim() ?? DEFAULT_NOTION_ENV_FILE);

  const idsFile = fromFile(idsPath, 'NOTION_ENV_FILE');
  const layers = [
    ...dotfiles,
    { origin: idsPath, values: idsFile },
    { origin: 'environment', values: processLayer },
    ...(envFile === undefined ? [] : [{ origin: resolve(cwd, envFile), values: commandLine }]),
  ];
  const values: Record<string, string | undefined> = {};
  const origins: Record<string, Origin> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (!isSet(value)) continue;
      values[key] = value;
      origins[key] = layer.origin;
    }
  }
  return { values, origins, notionEnvFile: { path: idsPath, exists: existsSync(idsPath), values: idsFile } };
}

/** The merged environment (see readEnvironmentLayers for the precedence). */
export function readEnvironment(cwd: string = process.cwd(), env: RawEnvironment = process.env, envFile?: string): RawEnvironment {
  return readEnvironmentLayers(cwd, env, envFile).values;
}
