import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request body read once: the bytes and their SHA-256 (SigV4 needs the hash). */
export interface ReadBody {
  readonly bytes: Buffer;
  readonly sha256Hex: string;
}

/** The body was larger than the API accepts. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * Reads a whole API request body (awsQuery/awsJson bodies are small: at most a few MiB), hashing
 * while it arrives so that SigV4 verification does not walk it twice. Stops reading past `limit`.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    throw new BodyTooLarge(limit);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new BodyTooLarge(limit);
    }
    hash.update(chunk);
    chunks.push(chunk);
  }
  return {
    bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
    sha256Hex: hash.digest('hex'),
  };
}
