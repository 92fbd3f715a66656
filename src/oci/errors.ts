/**
 * The one error the client throws: what the registry answered (HTTP status and the OCI error code
 * of its JSON body, `DENIED`, `MANIFEST_UNKNOWN`...) or what the client found wrong itself
 * (status 0: a digest or size that does not match, a registry that cannot be reached), so that
 * callers branch on `code` and show `message`, which already names the request.
 */

/** Codes the client gives failures that are not a registry's answer. */
export type ClientErrorCode =
  'DIGEST_INVALID' | 'SIZE_INVALID' | 'MANIFEST_INVALID' | 'UNSUPPORTED' | 'UNREACHABLE' | 'PROTOCOL';

/** One entry of an OCI error body `{"errors":[{"code","message","detail"}]}`. */
export interface OciErrorEntry {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

/** A registry request that failed; `status` 0 when the registry did not answer it. */
export class RegistryError extends Error {
  constructor(
    /** The registry's OCI code (`DENIED`), `UNKNOWN` for a non-OCI answer, or a {@link ClientErrorCode}. */
    readonly code: string,
    message: string,
    readonly status = 0,
    /** Every entry of the registry's error body. */
    readonly errors: readonly OciErrorEntry[] = [],
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** The entries of an OCI error body, `[]` when the body is not one. */
export function parseErrorBody(body: Buffer): OciErrorEntry[] {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(j.errors)) return [];
    return j.errors.flatMap((e: unknown) => {
      const o = e as { code?: unknown; message?: unknown; detail?: unknown };
      if (typeof o?.code !== 'string') return [];
      return [
        {
          code: o.code,
          ...(typeof o.message === 'string' && { message: o.message }),
          ...(o.detail !== undefined && { detail: o.detail }),
        },
      ];
    });
  } catch {
    return [];
  }
}

const STATUS_CODES: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'DENIED', 429: 'TOOMANYREQUESTS' };

/**
 * The error of an answer the client did not expect: `<what>: <status> <CODE>: <message>`, where
 * `what` names the request (`GET /v2/app/manifests/v1`), never its query (a presigned URL's).
 */
export function answerError(what: string, status: number, body: Buffer): RegistryError {
  const errors = parseErrorBody(body);
  const first = errors[0];
  if (first !== undefined) {
    const text = first.message !== undefined && first.message !== '' ? `: ${first.message}` : '';
    return new RegistryError(first.code, `${what}: ${status} ${first.code}${text}`, status, errors);
  }
  const code = STATUS_CODES[status] ?? 'UNKNOWN';
  // A short excerpt of a non-JSON body (an HTML error page) helps more than nothing.
  const excerpt = body
    .subarray(0, 200)
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim();
  return new RegistryError(code, `${what}: HTTP ${status}${excerpt !== '' ? ` ${excerpt}` : ''}`, status);
}
