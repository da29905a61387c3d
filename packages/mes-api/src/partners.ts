import { createHash, timingSafeEqual } from 'node:crypto';

/** A configured partner. Only the SHA-256 digest of the key is kept in memory after parsing. */
export interface Partner {
  id: string;
  keyDigest: Buffer;
}

const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class PartnerKeysError extends Error {
  override readonly name = 'PartnerKeysError';
}

/**
 * Parses `partnerId:key,partnerId2:key2`. Empty → no partners (the partner API then answers 401).
 * Errors name the entry position and partner id, never the key.
 */
export function parsePartnerKeys(raw: string): Partner[] {
  const partners: Partner[] = [];
  const ids = new Set<string>();
  const digests = new Set<string>();
  const entries = raw.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '') return;
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new PartnerKeysError(`${position} must look like partnerId:key`);
    const id = entry.slice(0, colon).trim();
    const key = entry.slice(colon + 1).trim();
    if (!PARTNER_ID.test(id)) {
      throw new PartnerKeysError(`${position}: partner id must be 1-64 characters of letters, digits, '.', '_' or '-'`);
    }
    if (key === '' || /\s/.test(key) || key.length > 256) {
      throw new PartnerKeysError(`${position} (${id}): key must be 1-256 characters without whitespace`);
    }
    if (ids.has(id)) throw new PartnerKeysError(`${position}: partner id ${id} is listed twice`);
    const keyDigest = digest(key);
    const hex = keyDigest.toString('hex');
    if (digests.has(hex)) throw new PartnerKeysError(`${position} (${id}): key is already used by another partner`);
    ids.add(id);
    digests.add(hex);
    partners.push({ id, keyDigest });
  });
  return partners;
}

/**
 * The partner owning `presented`, or null. Compares fixed-length digests with timingSafeEqual
 * and always walks the whole list, so timing reveals neither the key nor which partner matched.
 */
export function findPartner(partners: readonly Partner[], presented: string | undefined): string | null {
  if (presented === undefined || presented === '') return null;
  const presentedDigest = digest(presented);
  let match: string | null = null;
  for (const partner of partners) {
    if (timingSafeEqual(partner.keyDigest, presentedDigest) && match === null) match = partner.id;
  }
  return match;
}
