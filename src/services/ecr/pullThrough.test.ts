import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PullThroughCacheRule } from '../../store/meta/records.js';
import { ruleFor, upstreamBase, upstreamName } from './pullThrough.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const rule = (prefix: string, over: Partial<PullThroughCacheRule> = {}): PullThroughCacheRule => ({
  prefix,
  upstreamRegistryUrl: 'registry-1.docker.io',
  createdAt: T0,
  ...over,
});

test('a rule sends the path under its prefix upstream, behind the upstream prefix if it has one', () => {
  const cases = [
    {
      name: 'under the prefix',
      r: rule('docker-hub'),
      repo: 'docker-hub/library/nginx',
      up: 'library/nginx',
    },
    { name: 'the prefix alone is not under it', r: rule('docker-hub'), repo: 'docker-hub', up: undefined },
    { name: 'a longer name sharing the letters', r: rule('docker'), repo: 'docker-hub/x', up: undefined },
    { name: 'ROOT takes every name whole', r: rule('ROOT'), repo: 'team/app', up: 'team/app' },
    {
      name: 'an upstream prefix is put in front',
      r: rule('mirror', { upstreamRepositoryPrefix: 'team' }),
      repo: 'mirror/app',
      up: 'team/app',
    },
    {
      name: 'an upstream prefix of ROOT adds nothing',
      r: rule('mirror', { upstreamRepositoryPrefix: 'ROOT' }),
      repo: 'mirror/app',
      up: 'app',
    },
  ];
  for (const c of cases) assert.equal(upstreamName(c.r, c.repo), c.up, c.name);
});

test('the longest prefix holding the name wins; ROOT only when no other does', () => {
  const rules = [rule('ROOT'), rule('a'), rule('a/b'), rule('c')];
  const cases = [
    { repo: 'a/b/c', prefix: 'a/b' },
    { repo: 'a/x', prefix: 'a' },
    { repo: 'c/d', prefix: 'c' },
    { repo: 'z/y', prefix: 'ROOT' },
  ];
  for (const c of cases) assert.equal(ruleFor(rules, c.repo)?.prefix, c.prefix, c.repo);
  assert.equal(ruleFor([rule('a')], 'b/c'), undefined);
});

test('upstreams on this machine are plain HTTP unless said; others are HTTPS', () => {
  const cases = [
    { url: '127.0.0.1:5000', base: 'http://127.0.0.1:5000/' },
    { url: 'localhost:5000', base: 'http://localhost:5000/' },
    { url: 'quay.io', base: 'https://quay.io/' },
    { url: 'https://127.0.0.1:5443', base: 'https://127.0.0.1:5443/' },
    { url: 'http://registry.internal:80', base: 'http://registry.internal/' },
  ];
  for (const c of cases) assert.equal(upstreamBase(c.url).href, c.base, c.url);
});
