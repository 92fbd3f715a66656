/**
 * Blob uploads (OCI §4): `POST /v2/<name>/blobs/uploads/` starts a session (202), uploads a whole
 * blob at once (`?digest=`, 201), or mounts one from another repository (`?mount=&from=`, 201, or
 * a normal session when it cannot); `PATCH <location>` appends a chunk, in order (`Content-Range`)
 * or streamed; `GET <location>` tells the offset (204); `PUT <location>?digest=` commits (201);
 * `DELETE <location>` cancels (204). Bodies flow to the backend as streams, never buffered here.
 * `Location`s are relative and keep the request's addressing style.
 */
import type { Readable } from 'node:stream';
import { OciError, toOciError, uploadRange } from './errors.js';
import {
  declaredLength,
  hasBody,
  identified,
  limitStream,
  sendEmpty,
  type RepositoryContext,
} from './http.js';
import { requireDigest, requireUploadId, tryResolveName } from './names.js';

/** Errors of a mount attempt after which the registry starts a normal upload instead (OCI §4.3). */
const MOUNT_FALLBACK = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'RepositoryNotFoundException',
  'LayersNotFoundException',
  'ImageNotFoundException',
  'BlobUnknown',
]);

function uploadHeaders(ctx: RepositoryContext, uploadId: string, size: number): Record<string, string> {
  return {
    Location: `${ctx.address.base}/blobs/uploads/${uploadId}`,
    Range: uploadRange(size),
    'Docker-Upload-UUID': uploadId,
  };
}

function blobCreated(ctx: RepositoryContext, digest: string): void {
  sendEmpty(ctx.res, 201, {
    Location: `${ctx.address.base}/blobs/${digest}`,
    'Docker-Content-Digest': digest,
  });
}

/** `Content-Range: <start>-<end>` (also `bytes a-b/total`), inclusive; `BLOB_UPLOAD_INVALID` if malformed. */
export function parseContentRange(header: string): { start: number; end: number } {
  const m = /^\s*(?:bytes[ =])?\s*(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?\s*$/i.exec(header);
  const start = m === null ? NaN : Number(m[1]);
  const end = m === null ? NaN : Number(m[2]);
  if (!(end >= start)) {
    throw new OciError('BLOB_UPLOAD_INVALID', {
      message: 'invalid Content-Range: expected <start>-<end>',
      detail: { contentRange: header.slice(0, 100) },
    });
  }
  return { start, end };
}

/**
 * The body of a PATCH or final PUT, with the offset its `Content-Range` claims. A declared
 * `Content-Length` must equal the range's length (`SIZE_INVALID`); a chunked body is bounded by it.
 */
function chunkOf(ctx: RepositoryContext): { body: Readable; offset: number | undefined } {
  const header = ctx.req.headers['content-range'];
  if (header === undefined) return { body: ctx.req, offset: undefined };
  const { start, end } = parseContentRange(header);
  const length = end - start + 1;
  const declared = declaredLength(ctx.req);
  if (declared !== undefined && declared !== length) {
    throw new OciError('SIZE_INVALID', {
      message: `Content-Length ${declared} does not match Content-Range ${start}-${end}`,
    });
  }
  if (declared !== undefined) return { body: ctx.req, offset: start };
  const limited = limitStream(length);
  limited.on('error', () => ctx.req.unpipe(limited));
  return { body: ctx.req.pipe(limited), offset: start };
}

/** A 416 always tells where to resume: the backend's error says so, or the session is asked. */
async function withResumeRange(ctx: RepositoryContext, uploadId: string, err: unknown): Promise<OciError> {
  const e = toOciError(err, 'upload');
  if (e.code !== 'RANGE_INVALID' || e.headers.Range !== undefined) return e;
  try {
    const state = await ctx.backend.uploadStatus(identified(ctx), ctx.address.repo, uploadId);
    return new OciError('RANGE_INVALID', { message: e.message, headers: { Range: uploadRange(state.size) } });
  } catch {
    return e;
  }
}

/** `POST .../blobs/uploads/` — ecr:InitiateLayerUpload (+ CompleteLayerUpload for `?digest=`). */
export async function postUpload(ctx: RepositoryContext): Promise<void> {
  const { backend, address, query } = ctx;
  const caller = identified(ctx);
  const mount = query.get('mount');
  if (mount !== null) {
    const digest = requireDigest(mount);
    const fromName = query.get('from');
    const from =
      fromName === null ? undefined : tryResolveName(fromName, ctx.host, ctx.settings.defaultRegion);
    if (from !== undefined) {
      try {
        const mounted = await backend.mountBlob(caller, address.repo, digest, from.repo);
        if (mounted !== undefined) return blobCreated(ctx, digest);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (!(typeof code === 'string' && MOUNT_FALLBACK.has(code))) throw err;
      }
    }
    return start(ctx);
  }
  const digestParam = query.get('digest');
  if (digestParam !== null) {
    const digest = requireDigest(digestParam);
    const declared = declaredLength(ctx.req);
    await backend.putBlob(caller, address.repo, digest, ctx.req, declared);
    return blobCreated(ctx, digest);
  }
  return start(ctx);
}

async function start(ctx: RepositoryContext): Promise<void> {
  const state = await ctx.backend.startUpload(identified(ctx), ctx.address.repo);
  sendEmpty(ctx.res, 202, uploadHeaders(ctx, state.uploadId, state.size));
}

/** `PATCH <location>` — ecr:UploadLayerPart: 202 with the new `Range`; out of order → 416 + `Range`. */
export async function patchUpload(ctx: RepositoryContext): Promise<void> {
  const uploadId = requireUploadId(ctx.params.uploadId!);
  const { body, offset } = chunkOf(ctx);
  let state;
  try {
    state = await ctx.backend.appendUpload(identified(ctx), ctx.address.repo, uploadId, body, offset);
  } catch (err) {
    throw await withResumeRange(ctx, uploadId, err);
  }
  sendEmpty(ctx.res, 202, uploadHeaders(ctx, state.uploadId, state.size));
}

/** `GET <location>` — ecr:UploadLayerPart: 204 with the session's `Range`. */
export async function uploadStatus(ctx: RepositoryContext): Promise<void> {
  const uploadId = requireUploadId(ctx.params.uploadId!);
  const state = await ctx.backend.uploadStatus(identified(ctx), ctx.address.repo, uploadId);
  sendEmpty(ctx.res, 204, uploadHeaders(ctx, state.uploadId, state.size));
}

/**
 * `PUT <location>?digest=` — ecr:CompleteLayerUpload, with an optional last chunk: 201 with the
 * blob's `Location`. A last chunk with `Content-Range` must start at the session's offset (416).
 */
export async function putUpload(ctx: RepositoryContext): Promise<void> {
  const uploadId = requireUploadId(ctx.params.uploadId!);
  const digest = requireDigest(ctx.query.get('digest'));
  let body: Readable | undefined;
  if (hasBody(ctx.req)) {
    const chunk = chunkOf(ctx);
    if (chunk.offset !== undefined) {
      const state = await ctx.backend.uploadStatus(identified(ctx), ctx.address.repo, uploadId);
      if (state.size !== chunk.offset) {
        throw new OciError('RANGE_INVALID', {
          message: `the upload holds ${state.size} bytes; a chunk at ${chunk.offset} is out of order`,
          headers: { Range: uploadRange(state.size) },
        });
      }
    }
    body = chunk.body;
  }
  try {
    await ctx.backend.completeUpload(identified(ctx), ctx.address.repo, uploadId, digest, body);
  } catch (err) {
    throw await withResumeRange(ctx, uploadId, err);
  }
  blobCreated(ctx, digest);
}

/** `DELETE <location>` — cancels the session (ecr:UploadLayerPart): 204. */
export async function cancelUpload(ctx: RepositoryContext): Promise<void> {
  const uploadId = requireUploadId(ctx.params.uploadId!);
  await ctx.backend.cancelUpload(identified(ctx), ctx.address.repo, uploadId);
  sendEmpty(ctx.res, 204, {});
}
