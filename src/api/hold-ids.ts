/**
 * Hold ids as the API hands them out: the hold's id in the database and a MAC
 * of it with its user, `<uuid>.<mac>`. A user may settle or release only a hold
 * reserved for them, without a database read to find whose hold it is; the
 * service may use any hold, also by its bare id (as the SDK returns it).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Caller } from './auth.js';
import { ApiError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** 128 bits of the MAC, base64url. */
const MAC_CHARS = 22;

export interface HoldIds {
  /** The id to give a caller for a hold reserved for `userId`. */
  issue(holdId: string, userId: string | null): string;
  /** The database id behind what a caller sent, if the caller may use it. */
  open(handle: string, caller: Caller): string;
}

/** `keyMaterial` is a secret of the deployment (the service_role key or the JWT secret); the key is derived from it. */
export function createHoldIds(keyMaterial: string): HoldIds {
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, '', 'tokensync api hold ids', 32));
  const macOf = (holdId: string, userId: string | null) =>
    createHmac('sha256', key).update(`${userId ?? ''}\n${holdId.toLowerCase()}`).digest('base64url').slice(0, MAC_CHARS);

  return {
    issue: (holdId, userId) => `${holdId}.${macOf(holdId, userId)}`,
    open(handle, caller) {
      const [holdId = '', mac, ...rest] = handle.split('.');
      if (!UUID.test(holdId) || rest.length > 0) throw new ApiError('hold_not_found', 'no such hold: a hold id is the id a reservation returned');
      if (caller.kind === 'service') return holdId;
      const expected = macOf(holdId, caller.userId);
      if (mac === undefined || mac.length !== MAC_CHARS || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) {
        throw new ApiError('hold_not_yours', 'this hold was not reserved for the token\'s user');
      }
      return holdId;
    },
  };
}
