/**
 * Step 3 of SigV4: the signing key, derived from the secret by four chained HMACs over the
 * scope's date, region and service, and the final signature over the string to sign.
 *
 * The derivation is four HMACs per request when done naively; the key only changes once a day per
 * (secret, region, service), so a small LRU cache makes it a map lookup. The cache is an object
 * the caller owns (no module state), so tests stay isolated and a server can size it.
 */
import { createHmac } from 'node:crypto';
import { SCOPE_TERMINATOR } from './stringToSign.js';

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  const kDate = hmac('AWS4' + secretAccessKey, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, SCOPE_TERMINATOR);
}

/** The lowercase hex signature of a string to sign. */
export function signString(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/**
 * A bounded LRU of derived signing keys keyed by (secret, date, region, service). Keyed by the
 * secret itself rather than the access key id so that a rotated or replaced secret can never be
 * served a stale key. Entries hold derived keys only in memory and are never logged.
 */
export class SigningKeyCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1024) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
  }

  /** The signing key for the scope, derived on a miss and remembered as most recently used. */
  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    // `/` cannot occur in date, region or service (they come from a `/`-separated scope), and the
    // secret comes last, so the key is unambiguous.
    const id = date + '/' + region + '/' + service + '/' + secretAccessKey;
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.#entries.set(id, key);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return key;
  }

  /** How many keys are cached (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every key, e.g. after bulk credential changes. */
  clear(): void {
    this.#entries.clear();
  }
}
