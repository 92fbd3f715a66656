import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange, resolveRange } from './blobs.js';
import { matchRoute } from './routes.js';
import { parseContentRange } from './uploads.js';

const D = `sha256:${'a'.repeat(64)}`;

test('paths find their endpoint, names with several components included', () => {
  const cases: { method: string; path: string; handler?: string; params?: object; allow?: string[] }[] = [
    { method: 'GET', path: '/v2/', handler: 'base' },
    { method: 'GET', path: '/v2', handler: 'base' },
    { method: 'GET', path: '/v2/_catalog', handler: 'catalog' },
    {
      method: 'GET',
      path: `/v2/1/a/b/manifests/v1`,
      handler: 'getManifest',
      params: { name: '1/a/b', reference: 'v1' },
    },
    {
      method: 'GET',
      path: `/v2/1/manifests/manifests/v1`,
      handler: 'getManifest',
      params: { name: '1/manifests', reference: 'v1' },
    },
    { method: 'PUT', path: `/v2/1/a/manifests/${D}`, handler: 'putManifest' },
    { method: 'POST', path: '/v2/1/a/blobs/uploads/', handler: 'postUpload', params: { name: '1/a' } },
    { method: 'POST', path: '/v2/1/a/blobs/uploads', handler: 'postUpload' },
    {
      method: 'PATCH',
      path: '/v2/1/a/blobs/uploads/u-1',
      handler: 'patchUpload',
      params: { name: '1/a', uploadId: 'u-1' },
    },
    { method: 'GET', path: '/v2/1/a/blobs/uploads/u-1', handler: 'uploadStatus' },
    { method: 'GET', path: `/v2/1/a/blobs/${D}`, handler: 'getBlob', params: { name: '1/a', digest: D } },
    { method: 'GET', path: '/v2/1/a/tags/list', handler: 'listTags' },
    { method: 'GET', path: `/v2/1/a/referrers/${D}`, handler: 'referrers' },
    { method: 'PATCH', path: `/v2/1/a/blobs/${D}`, allow: ['GET', 'HEAD', 'DELETE'] },
    { method: 'POST', path: '/v2/1/a/tags/list', allow: ['GET'] },
    { method: 'GET', path: '/v2/1/a/nothing' },
    { method: 'GET', path: '/v3/1/a/tags/list' },
  ];
  for (const c of cases) {
    const m = matchRoute(c.method, c.path);
    if (c.handler !== undefined) {
      assert.equal(m.kind, 'route', c.path);
      if (m.kind !== 'route') continue;
      assert.equal(m.route.handle.name, c.handler, c.path);
      if (c.params !== undefined) assert.deepEqual({ ...m.params }, c.params, c.path);
    } else if (c.allow !== undefined) {
      assert.equal(m.kind, 'method', c.path);
      if (m.kind === 'method') assert.deepEqual(m.allow, c.allow, c.path);
    } else {
      assert.equal(m.kind, 'none', c.path);
    }
  }
});

test('Range headers select bytes as RFC 9110 says, and anything odd is ignored', () => {
  const cases: {
    header: string | undefined;
    size: number;
    want: { start: number; end: number } | 'ignored' | 'unsatisfiable';
  }[] = [
    { header: 'bytes=0-3', size: 10, want: { start: 0, end: 3 } },
    { header: 'bytes=5-', size: 10, want: { start: 5, end: 9 } },
    { header: 'bytes=-3', size: 10, want: { start: 7, end: 9 } },
    { header: 'bytes=-30', size: 10, want: { start: 0, end: 9 } },
    { header: 'bytes=2-999', size: 10, want: { start: 2, end: 9 } },
    { header: 'bytes=10-', size: 10, want: 'unsatisfiable' },
    { header: 'bytes=-0', size: 10, want: 'unsatisfiable' },
    { header: 'bytes=0-0', size: 0, want: 'unsatisfiable' },
    { header: 'bytes=5-2', size: 10, want: 'ignored' },
    { header: 'bytes=0-1,4-5', size: 10, want: 'ignored' },
    { header: 'items=0-1', size: 10, want: 'ignored' },
    { header: 'bytes=-', size: 10, want: 'ignored' },
    { header: undefined, size: 10, want: 'ignored' },
  ];
  for (const c of cases) {
    const spec = parseRange(c.header);
    if (c.want === 'ignored') {
      assert.equal(spec, undefined, c.header);
      continue;
    }
    assert.ok(spec, c.header);
    const r = resolveRange(spec, c.size);
    assert.deepEqual(r, c.want === 'unsatisfiable' ? undefined : c.want, c.header);
  }
});

test('Content-Range of an upload chunk is <start>-<end>, inclusive', () => {
  assert.deepEqual(parseContentRange('0-9'), { start: 0, end: 9 });
  assert.deepEqual(parseContentRange('bytes 10-19/*'), { start: 10, end: 19 });
  for (const bad of ['', '9-0', 'a-b', '0-', '-5']) assert.throws(() => parseContentRange(bad), bad);
});
