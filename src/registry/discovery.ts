/**
 * Content discovery (OCI §5): `GET /v2/` (the login probe), tags list with `n`/`last` and a
 * `Link` to the next page, the referrers API (an image index, `OCI-Filters-Applied` when filtered),
 * and `/v2/_catalog` (not in the spec; ECR and clients use it).
 */
import { OciError } from './errors.js';
import { identified, sendJson, type RepositoryContext, type RequestContext } from './http.js';
import { requireDigest } from './names.js';

/** The media type of the referrers answer (an OCI image index). */
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** The largest page a client may ask for; ECR's ListImages pages at most 1000. */
export const MAX_PAGE = 1000;

/** `n` and `last` of a paginated list; `PAGINATION_NUMBER_INVALID` for a non-number `n`. */
export function pageOf(query: URLSearchParams): { n: number | undefined; last: string | undefined } {
  const rawN = query.get('n');
  const last = query.get('last') ?? undefined;
  if (rawN === null || rawN === '') return { n: undefined, last };
  if (!/^\d{1,9}$/.test(rawN)) {
    throw new OciError('PAGINATION_NUMBER_INVALID', { detail: { n: rawN.slice(0, 40) } });
  }
  return { n: Math.min(Number(rawN), MAX_PAGE), last };
}

/**
 * Asks for one item more than the page holds, to know whether a next page exists without a
 * second call; `n = 0` still checks the repository and access, and answers an empty page.
 */
async function paginate(
  page: { n: number | undefined; last: string | undefined },
  fetch: (opts: { n?: number; last?: string }) => Promise<readonly string[]>,
): Promise<{ items: string[]; next: string | undefined }> {
  const opts: { n?: number; last?: string } = {};
  if (page.last !== undefined) opts.last = page.last;
  if (page.n !== undefined) opts.n = page.n + 1;
  const all = await fetch(opts);
  if (page.n === undefined || all.length <= page.n) {
    return { items: page.n === 0 ? [] : [...all], next: undefined };
  }
  const items = all.slice(0, page.n);
  return { items, next: page.n === 0 ? undefined : items[items.length - 1] };
}

function link(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

/** `GET /v2/` — any authenticated caller: 200, the header Docker's login probe looks for. */
export async function base(ctx: RequestContext): Promise<void> {
  sendJson(ctx, 200, {});
}

/** `GET /v2/<name>/tags/list` — ecr:ListImages: tags in lexical order, `Link` when more remain. */
export async function listTags(ctx: RepositoryContext): Promise<void> {
  const page = pageOf(ctx.query);
  const { items, next } = await paginate(page, (opts) =>
    ctx.backend.listTags(ctx.caller, ctx.address.repo, opts),
  );
  const headers: Record<string, string> = {};
  if (next !== undefined && page.n !== undefined) {
    headers.Link = link(`${ctx.address.base}/tags/list`, page.n, next);
  }
  sendJson(ctx, 200, { name: ctx.address.name, tags: items }, headers);
}

/**
 * `GET /v2/<name>/referrers/<digest>` — ecr:BatchGetImage: always 200 with an index (empty when
 * nothing refers to the digest, which need not exist); filtered by `artifactType` when asked.
 */
export async function referrers(ctx: RepositoryContext): Promise<void> {
  const digest = requireDigest(ctx.params.digest);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const found = await ctx.backend.referrers(ctx.caller, ctx.address.repo, digest, artifactType);
  const manifests = (
    artifactType === undefined ? found : found.filter((d) => d.artifactType === artifactType)
  ).map((d) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
    ...(d.annotations !== undefined && { annotations: d.annotations }),
  }));
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests }));
  const headers: Record<string, string | number> = {
    'Content-Type': INDEX_MEDIA_TYPE,
    'Content-Length': body.length,
  };
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  ctx.res.writeHead(200, headers);
  ctx.res.end(ctx.head ? undefined : body);
}

/**
 * `GET /v2/_catalog` — the repositories of one registry the caller may describe. Host-style: the
 * host's registry, names bare. Path-style: the caller's own account in the default region, names
 * prefixed `<accountId>/` so that each is a pullable path-style name.
 */
export async function catalog(ctx: RequestContext): Promise<void> {
  const page = pageOf(ctx.query);
  const caller = identified(ctx);
  const accountId = ctx.host?.accountId ?? caller.account.id;
  const region = ctx.host?.region ?? ctx.settings.defaultRegion;
  const prefix = ctx.host === undefined ? `${accountId}/` : '';
  let last = page.last;
  if (last !== undefined && prefix !== '' && last.startsWith(prefix)) last = last.slice(prefix.length);
  const { items, next } = await paginate({ n: page.n, last }, (opts) =>
    ctx.backend.catalog(caller, accountId, region, opts),
  );
  const headers: Record<string, string> = {};
  if (next !== undefined && page.n !== undefined) headers.Link = link('/v2/_catalog', page.n, prefix + next);
  sendJson(ctx, 200, { repositories: items.map((r) => prefix + r) }, headers);
}
