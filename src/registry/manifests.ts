/**
 * `/v2/<name>/manifests/<reference>`: GET/HEAD (end-3), PUT (end-7), DELETE (end-9). The registry
 * only speaks HTTP here: parsing, validation of the JSON, media types, referenced blobs and tag
 * mutability belong to the backend (`putManifest`), so garbage manifests reach it unchanged and
 * come back as `MANIFEST_INVALID`/`MANIFEST_BLOB_UNKNOWN`.
 */
import { createHash } from 'node:crypto';
import { OciError, toOciError } from './errors.js';
import { identified, readCapped, sendEmpty, type RepositoryContext } from './http.js';
import { isDigest, requireReference } from './names.js';

/** ECR's manifest size limit (the spec asks registries to accept at least 4 MB). */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

/** The media types of an `Accept` header in order, parameters (`q=`) dropped. */
export function acceptList(header: string | undefined): string[] {
  if (header === undefined) return [];
  const out: string[] = [];
  for (const part of header.split(',')) {
    const semi = part.indexOf(';');
    const t = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

/** A `Content-Type` without parameters, lowercased; `''` when absent. */
function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

function digestOf(reference: string, bytes: Buffer): string {
  const alg = isDigest(reference) && reference.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

/** `subject.digest` of a manifest, when it is JSON and has one (for a re-push answered by us). */
function subjectOf(bytes: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof v !== 'object' || v === null) return undefined;
    const subject = (v as { subject?: unknown }).subject;
    if (typeof subject !== 'object' || subject === null) return undefined;
    const d = (subject as { digest?: unknown }).digest;
    return typeof d === 'string' && isDigest(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

/** `GET|HEAD` — ecr:BatchGetImage: the exact bytes pushed, with their media type and digest. */
export async function getManifest(ctx: RepositoryContext): Promise<void> {
  const reference = requireReference(ctx.params.reference!);
  const m = await ctx.backend.getManifest(
    ctx.caller,
    ctx.address.repo,
    reference,
    acceptList(ctx.req.headers.accept),
  );
  ctx.res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': m.bytes.length,
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
  });
  ctx.res.end(ctx.head ? undefined : m.bytes);
}

/**
 * `PUT` — ecr:PutImage. Reads at most {@link MANIFEST_LIMIT} bytes (413 beyond), checks a digest
 * reference against the body, and answers 201 with the pullable `Location`, the digest, and
 * `OCI-Subject` when the manifest names a subject (so clients skip the fallback tag).
 */
export async function putManifest(ctx: RepositoryContext): Promise<void> {
  const reference = requireReference(ctx.params.reference!);
  const bytes = await readCapped(ctx.req, MANIFEST_LIMIT);
  if (isDigest(reference) && digestOf(reference, bytes) !== reference) {
    throw new OciError('DIGEST_INVALID', {
      message: 'manifest digest did not match the reference',
      detail: { reference },
    });
  }
  let digest: string;
  let subject: string | undefined;
  try {
    const r = await ctx.backend.putManifest(
      identified(ctx),
      ctx.address.repo,
      reference,
      mediaTypeOf(ctx.req.headers['content-type']),
      bytes,
    );
    digest = r.digest;
    subject = r.subject;
  } catch (err) {
    // Re-pushing the identical manifest under the same tag is a success for registry clients.
    if (err instanceof Error && (err as { code?: unknown }).code === 'ImageAlreadyExistsException') {
      digest = digestOf(reference, bytes);
      subject = subjectOf(bytes);
    } else {
      throw toOciError(err, 'manifest-put');
    }
  }
  const headers: Record<string, string | number> = {
    Location: `${ctx.address.base}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
  };
  if (subject !== undefined) headers['OCI-Subject'] = subject;
  sendEmpty(ctx.res, 201, headers);
}

/** `DELETE` — ecr:BatchDeleteImage: by digest the image and its tags, by tag the tag. 202. */
export async function deleteManifest(ctx: RepositoryContext): Promise<void> {
  const reference = requireReference(ctx.params.reference!);
  await ctx.backend.deleteManifest(identified(ctx), ctx.address.repo, reference);
  sendEmpty(ctx.res, 202, {});
}
