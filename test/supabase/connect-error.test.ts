import { describe, expect, it } from 'vitest';
import { connectError } from '../../src/supabase/postgres-transport.js';

const URL_ = 'postgres://app:hunter2@db.example.com:5432/app';
const failure = (fields: { code?: string; message: string }) => Object.assign(new Error(fields.message), fields);

describe('connectError: TLS refusals say which sslmode works', () => {
  it('a server without TLS: drop sslmode', () => {
    const error = connectError(URL_, failure({ message: 'The server does not support SSL connections' }));
    expect(error.message).toMatch(/refused the connection: The server does not support SSL connections; .*remove sslmode from DATABASE_URL or set sslmode=disable$/);
    expect(error.retryable).toBe(false);
  });

  it('a server that accepts only TLS (pg_hba hostssl, or SSL enforced): add sslmode=require', () => {
    const message = 'no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", no encryption';
    expect(connectError(URL_, failure({ code: '28000', message })).message).toMatch(/no encryption; this server accepts only encrypted connections: add sslmode=require/);
  });

  it('a certificate node-postgres does not trust (Supabase CA under sslmode=require): sslrootcert or no-verify', () => {
    const error = connectError(URL_, failure({ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }));
    expect(error.message).toMatch(/^connect: PostgreSQL at db\.example\.com:5432 refused the connection: self-signed certificate in certificate chain; .*sslrootcert=PATH.*sslmode=no-verify/);
    expect(error.message).not.toContain('hunter2');
  });

  it('other refusals keep their own fix', () => {
    expect(connectError(URL_, failure({ code: '28P01', message: 'password authentication failed for user "app"' })).message).toMatch(
      /; check the user and password in DATABASE_URL$/,
    );
  });
});
