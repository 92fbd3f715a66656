/**
 * `/v2/<name>/blobs/<digest>`: GET (ecr:GetDownloadUrlForLayer) streamed with backpressure, with
 * single `Range: bytes=` requests answered 206; HEAD (ecr:BatchCheckLayerAvailability); DELETE
 * refused as ECR does (blobs leave with their images). A blob is never held in memory here.
 */
import type { Readable } from 'node:stream';
import type { BlobRange } from '../services/ecr/registry.js';
import { isRecycling } from '../store/blobs/BlobStore.js';
import { OciError } from './errors.js';
import type { RepositoryContext } from './http.js';
import { requireDigest } from './names.js';

/** A single `bytes=` range as the client wrote it: `a-b`, `a-`, or the suffix `-n`. */
export type RangeSpec =
  | { readonly kind: 'from'; readonly start: number; readonly end?: number }
  | { readonly kind: 'suffix'; readonly length: number };

/**
 * Parses a `Range` header. Anything else than one `bytes=` range (several ranges, other units,
 * bad syntax) is ignored, as RFC 9110 allows: the answer is then the whole blob, 200.
 */
export function parseRange(header: string | undefined): RangeSpec | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i.exec(header);
  if (m === null) return undefined;
  const [a, b] = [m[1]!, m[2]!];
  if (a === '' && b === '') return undefined;
  if (a === '') return { kind: 'suffix', length: Number(b) };
  const start = Number(a);
  if (b === '') return { kind: 'from', start };
  const end = Number(b);
  return end < start ? undefined : { kind: 'from', start, end };
}

/** The inclusive bytes a range selects in a blob of `size` bytes, or `undefined` if unsatisfiable. */
export function resolveRange(spec: RangeSpec, size: number): { start: number; end: number } | undefined {
  if (spec.kind === 'suffix') {
    if (spec.length === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - spec.length), end: size - 1 };
  }
  if (spec.start >= size) return undefined;
  return { start: spec.start, end: Math.min(spec.end ?? size - 1, size - 1) };
}

/**
 * Bytes an answer may hold queued ahead of the socket before the stream waits for it to drain:
 * enough that the kernel is never left without data while the next chunk is read (a response's
 * own high-water mark, 16 KiB, would stop after every 1 MiB chunk).
 */
const SEND_QUEUE_BYTES = 2 << 20;

/**
 * Streams `body` into the answer with backpressure, keeping up to {@link SEND_QUEUE_BYTES}
 * queued; a stream that takes its chunks back ({@link isRecycling}) gets each one once the socket
 * has it. Chunks are taken as `data` events, one by one as the stream pushed them (an async
 * iterator would join whatever is buffered into a new buffer: a copy, and nothing to give back).
 * A failure mid-way cuts the connection (the length is promised); a client that goes away
 * releases the body.
 */
function stream(ctx: Pick<RepositoryContext, 'res'>, body: Readable): Promise<void> {
  const { res } = ctx;
  const recycle = isRecycling(body) ? (chunk: Buffer) => body.recycle(chunk) : undefined;
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = (whole: boolean) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      res.off('drain', onDrain);
      if (whole) res.end();
      else {
        // The client went away, or storage failed after the headers left: nothing more can be said.
        body.destroy();
        res.destroy();
      }
      resolve();
    };
    const onData = (chunk: Buffer) => {
      if (recycle === undefined) res.write(chunk);
      else res.write(chunk, (err) => err == null && recycle(chunk));
      if (res.writableLength >= SEND_QUEUE_BYTES) {
        body.pause();
        res.once('drain', onDrain);
      }
    };
    const onDrain = () => body.resume();
    body.on('data', onData);
    body.once('end', () => settle(true));
    body.once('error', () => settle(false));
    res.once('close', () => settle(false));
  });
}

/** `HEAD` — ecr:BatchCheckLayerAvailability: size and digest, no body. */
export async function headBlob(ctx: RepositoryContext): Promise<void> {
  const digest = requireDigest(ctx.params.digest);
  const { size } = await ctx.backend.statBlob(ctx.caller, ctx.address.repo, digest);
  ctx.res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': size,
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
  });
  ctx.res.end();
}

/**
 * `GET` — ecr:GetDownloadUrlForLayer. With a satisfiable `Range`, 206 and `Content-Range`;
 * unsatisfiable, 416 with `Content-Range: bytes *\/<size>`. The whole blob is opened first to learn
 * its size, then reopened at the range (range requests are rare: resumed pulls).
 */
export async function getBlob(ctx: RepositoryContext): Promise<void> {
  const digest = requireDigest(ctx.params.digest);
  const { backend, caller, address } = ctx;
  return sendBlob(ctx, digest, (range) => backend.openBlob(caller, address.repo, digest, range));
}

/**
 * `GET` of a presigned layer URL (GetDownloadUrlForLayer's `downloadUrl`, no credentials): the
 * same answers as {@link getBlob}, the signature standing for the IAM check made when the URL was
 * issued.
 */
export async function getPresignedBlob(ctx: Omit<RepositoryContext, 'caller'>): Promise<void> {
  const digest = requireDigest(ctx.params.digest);
  const { backend, address, query } = ctx;
  return sendBlob(ctx, digest, (range) => backend.openPresignedBlob(address.repo, digest, query, range));
}

type OpenBlob = (range?: BlobRange) => Promise<{ readonly size: number; readonly body: Readable }>;

async function sendBlob(
  ctx: Pick<RepositoryContext, 'req' | 'res'>,
  digest: string,
  open: OpenBlob,
): Promise<void> {
  const spec = parseRange(ctx.req.headers.range);
  const whole = await open();
  const common = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
  };
  if (spec === undefined) {
    ctx.res.writeHead(200, { ...common, 'Content-Length': whole.size });
    return stream(ctx, whole.body);
  }
  const range = resolveRange(spec, whole.size);
  if (range === undefined) {
    whole.body.destroy();
    throw new OciError('RANGE_INVALID', {
      message: 'requested range not satisfiable',
      headers: { 'Content-Range': `bytes */${whole.size}` },
    });
  }
  let body = whole.body;
  if (range.start !== 0 || range.end !== whole.size - 1) {
    whole.body.destroy();
    body = (await open(range)).body;
  }
  ctx.res.writeHead(206, {
    ...common,
    'Content-Length': range.end - range.start + 1,
    'Content-Range': `bytes ${range.start}-${range.end}/${whole.size}`,
  });
  return stream(ctx, body);
}

/** `DELETE` — not offered, as ECR: a layer goes away with the last image that uses it (405). */
export async function deleteBlob(ctx: RepositoryContext): Promise<void> {
  requireDigest(ctx.params.digest);
  throw new OciError('UNSUPPORTED', {
    message: 'blobs are deleted with the images that reference them; delete the manifest instead',
    headers: { Allow: 'GET, HEAD' },
  });
}
