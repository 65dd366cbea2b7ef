/**
 * Migrates one template database per test run; each test file then copies it
 * (CREATE DATABASE … TEMPLATE), which is far faster than migrating per file.
 */
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/supabase/migrator.js';
import { databaseUrl, uniqueName, withAdminClient } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const template = uniqueName('tokensync_tpl');
  await withAdminClient((admin) => admin.query(`create database ${template}`));
  await migrate({ databaseUrl: databaseUrl(template) });
  project.provide('templateDatabase', template);

  return async () => {
    await withAdminClient((admin) => admin.query(`drop database if exists ${template} with (force)`));
  };
}
