/**
 * The registry's routes as one table: (method, path pattern) → handler, and the operation family
 * that picks the OCI meaning of ECR's generic errors. `<name>` spans several `/` components, so
 * each pattern anchors its fixed tail and takes the name greedily; a path no pattern matches
 * names no endpoint (404 `UNSUPPORTED`), a known path with another method is 405 with `Allow`.
 */
import { deleteBlob, getBlob, headBlob } from './blobs.js';
import { base, catalog, listTags, referrers } from './discovery.js';
import type { OpFamily } from './errors.js';
import type { RepositoryContext, RequestContext } from './http.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { cancelUpload, patchUpload, postUpload, putUpload, uploadStatus } from './uploads.js';

/** The methods the registry answers. */
export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** A route: registry-wide (no `<name>`) or on one repository (`<name>` resolved first). */
export type Route = {
  readonly method: Method;
  readonly pattern: RegExp;
  readonly op: OpFamily;
} & (
  | { readonly scope: 'registry'; readonly handle: (ctx: RequestContext) => Promise<void> }
  | { readonly scope: 'repository'; readonly handle: (ctx: RepositoryContext) => Promise<void> }
);

const BASE = /^\/v2\/?$/;
const CATALOG = /^\/v2\/_catalog$/;
const MANIFEST = /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/;
const UPLOADS = /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/;
const UPLOAD = /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<uploadId>[^/]+)$/;
const BLOB = /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/;
const TAGS = /^\/v2\/(?<name>.+)\/tags\/list$/;
const REFERRERS = /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/;

/** Every endpoint (OCI end-1 … end-13, upload cancel, catalog), in match order. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: BASE, op: 'base', scope: 'registry', handle: base },
  { method: 'HEAD', pattern: BASE, op: 'base', scope: 'registry', handle: base },
  { method: 'GET', pattern: CATALOG, op: 'catalog', scope: 'registry', handle: catalog },
  { method: 'GET', pattern: MANIFEST, op: 'manifest', scope: 'repository', handle: getManifest },
  { method: 'HEAD', pattern: MANIFEST, op: 'manifest', scope: 'repository', handle: getManifest },
  { method: 'PUT', pattern: MANIFEST, op: 'manifest-put', scope: 'repository', handle: putManifest },
  { method: 'DELETE', pattern: MANIFEST, op: 'manifest', scope: 'repository', handle: deleteManifest },
  { method: 'POST', pattern: UPLOADS, op: 'upload', scope: 'repository', handle: postUpload },
  { method: 'PATCH', pattern: UPLOAD, op: 'upload', scope: 'repository', handle: patchUpload },
  { method: 'GET', pattern: UPLOAD, op: 'upload', scope: 'repository', handle: uploadStatus },
  { method: 'PUT', pattern: UPLOAD, op: 'upload', scope: 'repository', handle: putUpload },
  { method: 'DELETE', pattern: UPLOAD, op: 'upload', scope: 'repository', handle: cancelUpload },
  { method: 'GET', pattern: BLOB, op: 'blob', scope: 'repository', handle: getBlob },
  { method: 'HEAD', pattern: BLOB, op: 'blob', scope: 'repository', handle: headBlob },
  { method: 'DELETE', pattern: BLOB, op: 'blob', scope: 'repository', handle: deleteBlob },
  { method: 'GET', pattern: TAGS, op: 'tags', scope: 'repository', handle: listTags },
  { method: 'GET', pattern: REFERRERS, op: 'referrers', scope: 'repository', handle: referrers },
];

/** What a path matched: the route for the method, or the methods the path would accept. */
export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method'; readonly allow: readonly string[]; readonly name: string | undefined }
  | { readonly kind: 'none' };

/**
 * Finds the route of a request. The first pattern that matches the path decides which endpoint
 * it is, so `/blobs/uploads/<id>` is never read as a blob named `uploads`.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  let endpoint: RegExp | undefined;
  let params: Record<string, string> = {};
  const allow: string[] = [];
  for (const route of ROUTES) {
    if (endpoint === undefined) {
      const m = route.pattern.exec(path);
      if (m === null) continue;
      endpoint = route.pattern;
      params = { ...m.groups };
    } else if (route.pattern !== endpoint) {
      continue;
    }
    if (route.method === method) return { kind: 'route', route, params };
    allow.push(route.method);
  }
  if (endpoint === undefined) return { kind: 'none' };
  return { kind: 'method', allow, name: params.name };
}
