/**
 * OCI registry errors: the code → status table (as distribution's `errcode/register.go` binds
 * them), the one error class handlers throw, and the ONE mapper from what the ECR service throws
 * (`ServiceError` codes in ECR's vocabulary, `AccessDeniedError`, the blob store's typed errors)
 * to the OCI wire form. Handlers never pick a status: they throw an `OciError` or let the
 * service's error through, and the dispatcher renders `{"errors":[{"code","message","detail"}]}`.
 */
import { AccessDeniedError } from '../services/errors.js';

/** Every code the registry answers with, bound to its HTTP status and default message. */
export const OCI = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: 'manifest references a manifest or blob unknown to registry',
  },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'Requested image not found' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'Not Authorized' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'Rate exceeded' },
  /** Legacy code; ECR answers it for immutable-tag conflicts too. */
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  /** Legacy code: an unsatisfiable blob range, or an upload chunk out of order. */
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  /** Legacy code: `n` is not a number. */
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  /** distribution's catch-all for server faults; the cause is logged, never sent. */
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A code of {@link OCI}. */
export type OciCode = keyof typeof OCI;

/** Options an error carries besides its code: a message, a detail, headers, a rare status override. */
export interface OciErrorOptions {
  readonly message?: string;
  /** JSON `detail` (what the client sent, never secrets). */
  readonly detail?: unknown;
  /** Headers the answer must carry (`Range` on a 416, `Allow` on a 405, `Content-Range`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Overrides the table's status for the two cases the spec words differently: 413 for a
   * manifest that is too large (`SIZE_INVALID`), 404 for a path that names no endpoint (`UNSUPPORTED`).
   */
  readonly status?: 404 | 413;
}

/** The registry's one error class, so that the status is always the code's (the table's). */
export class OciError extends Error {
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly #status: number | undefined;

  constructor(
    readonly code: OciCode,
    options: OciErrorOptions = {},
  ) {
    super(options.message ?? OCI[code].message);
    this.name = 'OciError';
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.#status = options.status;
  }

  /** The HTTP status: the table's, unless overridden for 413/404. */
  get status(): number {
    return this.#status ?? OCI[this.code].status;
  }

  /** The JSON body every OCI client parses. */
  body(): string {
    return JSON.stringify({
      errors: [{ code: this.code, message: this.message, detail: this.detail ?? null }],
    });
  }
}

/** What the request was doing, for the few ECR codes whose OCI meaning depends on it. */
export type OpFamily =
  'base' | 'catalog' | 'manifest' | 'manifest-put' | 'blob' | 'upload' | 'tags' | 'referrers';

/** The OCI code for ECR's "bad input" codes, per family. */
const INVALID_INPUT: Readonly<Record<OpFamily, OciCode>> = {
  base: 'UNSUPPORTED',
  catalog: 'PAGINATION_NUMBER_INVALID',
  manifest: 'MANIFEST_INVALID',
  'manifest-put': 'MANIFEST_INVALID',
  blob: 'DIGEST_INVALID',
  upload: 'BLOB_UPLOAD_INVALID',
  tags: 'PAGINATION_NUMBER_INVALID',
  referrers: 'DIGEST_INVALID',
};

/**
 * ECR service codes (and the blob store's codes, which the service may let through) → OCI code.
 * `keep` = the service's message is ECR's own wording and goes to the client unchanged.
 */
export const BY_CODE: Readonly<
  Record<string, { readonly code: OciCode | 'input' | 'range'; readonly keep: boolean }>
> = {
  // authentication (the token is missing, malformed, forged, expired, or its identity is gone); the
  // backend's sentence is written for clients and says when the token expired, in ECR's words
  Unauthenticated: { code: 'UNAUTHORIZED', keep: true },
  UnrecognizedClientException: { code: 'UNAUTHORIZED', keep: false },
  InvalidSignatureException: { code: 'UNAUTHORIZED', keep: false },
  ExpiredTokenException: { code: 'UNAUTHORIZED', keep: false },
  MissingAuthenticationTokenException: { code: 'UNAUTHORIZED', keep: false },
  // ECR's vocabulary
  AccessDenied: { code: 'DENIED', keep: true },
  AccessDeniedException: { code: 'DENIED', keep: true },
  RepositoryNotFoundException: { code: 'NAME_UNKNOWN', keep: true },
  ImageNotFoundException: { code: 'MANIFEST_UNKNOWN', keep: false },
  LayersNotFoundException: { code: 'BLOB_UNKNOWN', keep: true },
  LayerInaccessibleException: { code: 'BLOB_UNKNOWN', keep: true },
  ReferencedImagesNotFoundException: { code: 'MANIFEST_BLOB_UNKNOWN', keep: true },
  ImageTagAlreadyExistsException: { code: 'TAG_INVALID', keep: true },
  InvalidLayerException: { code: 'DIGEST_INVALID', keep: true },
  ImageDigestDoesNotMatchException: { code: 'DIGEST_INVALID', keep: true },
  InvalidLayerPartException: { code: 'range', keep: true },
  UploadNotFoundException: { code: 'BLOB_UPLOAD_UNKNOWN', keep: true },
  EmptyUploadException: { code: 'BLOB_UPLOAD_INVALID', keep: true },
  LayerPartTooSmallException: { code: 'SIZE_INVALID', keep: true },
  UnsupportedImageTypeException: { code: 'MANIFEST_INVALID', keep: true },
  // a pull-through cache import that could not bring the image in (pullThrough.ts)
  UnableToGetUpstreamImageException: { code: 'MANIFEST_UNKNOWN', keep: true },
  UnableToAccessSecretException: { code: 'MANIFEST_UNKNOWN', keep: true },
  InvalidParameterException: { code: 'input', keep: true },
  ValidationException: { code: 'input', keep: true },
  InvalidTagParameterException: { code: 'TAG_INVALID', keep: true },
  LimitExceededException: { code: 'TOOMANYREQUESTS', keep: true },
  ThrottlingException: { code: 'TOOMANYREQUESTS', keep: false },
  TooManyRequestsException: { code: 'TOOMANYREQUESTS', keep: false },
  UnsupportedOperation: { code: 'UNSUPPORTED', keep: true },
  UnsupportedCommandException: { code: 'UNSUPPORTED', keep: true },
  // the blob store's codes (store/blobs/errors.ts)
  BlobUnknown: { code: 'BLOB_UNKNOWN', keep: true },
  DigestInvalid: { code: 'DIGEST_INVALID', keep: true },
  DigestMismatch: { code: 'DIGEST_INVALID', keep: true },
  SizeMismatch: { code: 'SIZE_INVALID', keep: true },
  RangeInvalid: { code: 'range', keep: true },
  RangeMismatch: { code: 'range', keep: true },
  UploadUnknown: { code: 'BLOB_UPLOAD_UNKNOWN', keep: true },
};

/** `Range: 0-<last byte>` of an upload holding `size` bytes (`0-0` when empty, as distribution sends). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

function numberField(err: object, key: string): number | undefined {
  const direct = (err as Record<string, unknown>)[key];
  if (typeof direct === 'number' && Number.isFinite(direct)) return direct;
  const fields = (err as { fields?: unknown }).fields;
  if (typeof fields === 'object' && fields !== null) {
    const v = (fields as Record<string, unknown>)[key];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** The 416 answer: `Range` for an upload out of order, `Content-Range` for an unsatisfiable read. */
function rangeError(err: object, code: string, message: string): OciError {
  if (code === 'RangeInvalid') {
    const size = numberField(err, 'size');
    return new OciError('RANGE_INVALID', {
      message,
      headers: size === undefined ? {} : { 'Content-Range': `bytes */${size}` },
    });
  }
  const lastValid = numberField(err, 'lastValidByteReceived');
  const size = lastValid !== undefined ? lastValid + 1 : numberField(err, 'size');
  return new OciError('RANGE_INVALID', {
    message,
    headers: size === undefined ? {} : { Range: uploadRange(size) },
  });
}

/**
 * Maps anything a handler or the backend threw to the OCI answer, once for every route. An
 * `OciError` passes through; an access denial is 403 `DENIED` with the IAM sentence; the ECR and
 * blob-store codes follow {@link BY_CODE}; anything else is 500 `UNKNOWN` (the caller logs it).
 */
export function toOciError(err: unknown, op: OpFamily): OciError {
  if (err instanceof OciError) return err;
  if (err instanceof AccessDeniedError) return new OciError('DENIED', { message: err.message });
  if (!(err instanceof Error)) return new OciError('UNKNOWN');
  const code = (err as { code?: unknown }).code;
  const entry = typeof code === 'string' && Object.hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined;
  if (entry === undefined || typeof code !== 'string') return new OciError('UNKNOWN');
  const message = entry.keep && err.message !== '' ? err.message : undefined;
  if (entry.code === 'range') return rangeError(err, code, message ?? OCI.RANGE_INVALID.message);
  let oci: OciCode = entry.code === 'input' ? INVALID_INPUT[op] : entry.code;
  // A manifest naming blobs or child manifests the repository lacks (OCI §4.4).
  if (op === 'manifest-put' && (oci === 'BLOB_UNKNOWN' || oci === 'MANIFEST_UNKNOWN')) {
    oci = 'MANIFEST_BLOB_UNKNOWN';
  }
  return new OciError(oci, message === undefined ? {} : { message });
}
