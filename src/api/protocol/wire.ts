/**
 * What an encoder hands to the HTTP layer: status, headers and a complete body. Keeping it a plain
 * value lets the codecs stay free of `node:http` and be tested without a socket.
 */
export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Bodies arrive as bytes from a socket or as text from tests; both decode the same way. */
export type WireBody = string | Uint8Array;

const utf8 = new TextDecoder('utf-8');

/** Decodes a body as UTF-8 (invalid sequences become U+FFFD, as a lenient server would). */
export function bodyText(body: WireBody | undefined): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : utf8.decode(body);
}

/** Size of a body in bytes, for the size limits checked before decoding. */
export function bodyBytes(body: WireBody | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/**
 * Values the response encoders accept, so that adapters can hand over their own interfaces:
 * plain objects are structures, arrays lists, `Map`s maps, `Date`s timestamps, bytes blobs;
 * `undefined` and `null` members are left out as AWS leaves out absent members.
 */
export type OutputValue =
  | string
  | number
  | boolean
  | Date
  | Uint8Array
  | null
  | undefined
  | readonly OutputValue[]
  | ReadonlyMap<string, OutputValue>
  | object;
