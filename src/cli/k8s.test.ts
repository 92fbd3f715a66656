import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadYaml, type V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  applySecret,
  k8sCommand,
  nextRefreshDelay,
  parseDuration,
  parsePullSecretArgs,
  pullSecretManifest,
  pullSecretTokenRequest,
  refreshLoop,
  retryDelay,
  type K8sDeps,
  type SecretStore,
} from './k8s.js';
import type { RegistryToken, TokenRequest } from './login.js';

const A = '111111111111';
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const H = 3600_000;
const token = (password = 'pw-1', life = 12 * H): RegistryToken => ({
  username: 'AWS',
  password,
  expiresAt: new Date(T0 + life),
});
const base = ['--namespace', 'apps', '--name', 'ecr-pull', '--registry', `127.0.0.1:7560/${A}`];

test('durations read as kubectl spells them, anything else is refused', () => {
  const cases: { name: string; text: string; ms?: number }[] = [
    { name: 'minutes', text: '30m', ms: 30 * 60_000 },
    { name: 'hours', text: '6h', ms: 6 * H },
    { name: 'hours and minutes', text: '1h30m', ms: 90 * 60_000 },
    { name: 'seconds', text: '90s', ms: 90_000 },
    { name: 'all three', text: '1h2m3s', ms: H + 123_000 },
    { name: 'a bare number is refused', text: '30' },
    { name: 'an empty text is refused', text: '' },
    { name: 'days are refused', text: '1d' },
    { name: 'units out of order are refused', text: '30m1h' },
    { name: 'fractions are refused', text: '1.5h' },
  ];
  for (const c of cases) {
    if (c.ms === undefined) assert.throws(() => parseDuration(c.text), { name: 'K8sUsageError' }, c.name);
    else assert.equal(parseDuration(c.text), c.ms, c.name);
  }
});

test('the command line is checked before anything is asked of AWS or the cluster', () => {
  const cases: { name: string; args: string[]; error?: RegExp }[] = [
    { name: 'the three required flags are enough', args: base },
    {
      name: 'a refresh shorter than the token life is accepted',
      args: [...base, '--apply', '--refresh', '6h'],
    },
    {
      name: 'a refresh of 12h is refused',
      args: [...base, '--apply', '--refresh', '12h'],
      error: /shorter than the 12h/,
    },
    { name: 'a refresh above 12h is refused', args: [...base, '--apply', '--refresh', '13h'], error: /12h/ },
    {
      name: 'a refresh below a minute is refused',
      args: [...base, '--apply', '--refresh', '10s'],
      error: /at least 1m/,
    },
    {
      name: 'a refresh without --apply is refused',
      args: [...base, '--refresh', '6h'],
      error: /needs --apply/,
    },
    { name: 'a missing --registry is refused', args: base.slice(0, 4), error: /--registry is required/ },
    { name: 'an upper-case secret name is refused', args: [...base, '--name', 'Pull'], error: /secret name/ },
    { name: 'a namespace with dots is refused', args: [...base, '--namespace', 'a.b'], error: /namespace/ },
    {
      name: 'a registry that is not one is refused',
      args: [...base, '--registry', 'host:1/nope'],
      error: /registry id/,
    },
    { name: 'an unknown output format is refused', args: [...base, '-o', 'xml'], error: /--output/ },
    {
      name: 'a user ARN as role is refused',
      args: [...base, '--role-arn', `arn:aws:iam::${A}:user/u`],
      error: /role ARN/,
    },
    {
      name: '--context without --apply is refused',
      args: [...base, '--context', 'kind'],
      error: /need --apply/,
    },
  ];
  for (const c of cases) {
    if (c.error === undefined) assert.doesNotThrow(() => parsePullSecretArgs(c.args), c.name);
    else
      assert.throws(() => parsePullSecretArgs(c.args), { name: 'K8sUsageError', message: c.error }, c.name);
  }
});

test('the token request is the login request of the registry, with the role and a session name of its own', () => {
  const opts = parsePullSecretArgs([...base, '--role-arn', `arn:aws:iam::${A}:role/R`]);
  assert.deepEqual(pullSecretTokenRequest(opts, {}), {
    endpoint: 'http://127.0.0.1:7560',
    region: 'us-east-1',
    roleArn: `arn:aws:iam::${A}:role/R`,
    registryId: A,
    sessionName: 'crossdock-k8s',
  });
});

test('the manifest is a dockerconfigjson Secret keyed by the registry host, labelled and annotated', () => {
  const s = pullSecretManifest({
    namespace: 'apps',
    name: 'ecr-pull',
    host: '127.0.0.1:7560',
    token: token('p@ss:word'),
    roleArn: `arn:aws:iam::${A}:role/R`,
    now: new Date(T0),
  });
  assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
  assert.deepEqual(s.metadata?.labels, { 'app.kubernetes.io/managed-by': 'crossdock' });
  assert.deepEqual(s.metadata?.annotations, {
    [ANNOTATIONS.registry]: '127.0.0.1:7560',
    [ANNOTATIONS.expiresAt]: new Date(T0 + 12 * H).toISOString(),
    [ANNOTATIONS.refreshedAt]: new Date(T0).toISOString(),
    [ANNOTATIONS.roleArn]: `arn:aws:iam::${A}:role/R`,
  });
  const doc = JSON.parse(Buffer.from(s.data!['.dockerconfigjson']!, 'base64').toString('utf8')) as unknown;
  assert.deepEqual(doc, {
    auths: {
      '127.0.0.1:7560': {
        username: 'AWS',
        password: 'p@ss:word',
        auth: Buffer.from('AWS:p@ss:word').toString('base64'),
      },
    },
  });
});

/** A cluster of one namespace in memory, recording calls, checking resourceVersion as the API does. */
function memoryStore(): SecretStore & { secrets: Map<string, V1Secret>; calls: string[] } {
  const secrets = new Map<string, V1Secret>();
  const calls: string[] = [];
  let version = 0;
  return {
    secrets,
    calls,
    async read(_ns, name) {
      calls.push('read');
      return secrets.get(name);
    },
    async create(_ns, body) {
      calls.push('create');
      const s = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      secrets.set(body.metadata!.name!, s);
      return s;
    },
    async replace(_ns, name, body) {
      calls.push('replace');
      if (body.metadata?.resourceVersion !== secrets.get(name)?.metadata?.resourceVersion)
        throw Object.assign(new Error('conflict'), { code: 409 });
      const s = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      secrets.set(name, s);
      return s;
    },
  };
}

const manifest = (pw: string) =>
  pullSecretManifest({
    namespace: 'apps',
    name: 'ecr-pull',
    host: 'h:1',
    token: token(pw),
    now: new Date(T0),
  });

test('applying creates the secret, then replaces it keeping labels and annotations others added', async () => {
  const store = memoryStore();
  assert.equal(await applySecret(store, manifest('one')), 'created');
  const stored = store.secrets.get('ecr-pull')!;
  stored.metadata!.labels!['team'] = 'web';
  stored.metadata!.annotations!['note'] = 'kept';
  assert.equal(await applySecret(store, manifest('two')), 'updated');
  const after = store.secrets.get('ecr-pull')!;
  assert.equal(after.metadata?.labels?.['team'], 'web');
  assert.equal(after.metadata?.annotations?.['note'], 'kept');
  assert.equal(after.data?.['.dockerconfigjson'], manifest('two').data?.['.dockerconfigjson']);
  assert.deepEqual(store.calls, ['read', 'create', 'read', 'replace']);
});

test('a conflicting write is retried on a fresh read; a secret of another type is left alone', async () => {
  const store = memoryStore();
  await applySecret(store, manifest('one'));
  const conflicting: SecretStore = {
    ...store,
    replace: (() => {
      let first = true;
      return async (ns: string, name: string, body: V1Secret) => {
        if (first) {
          first = false;
          throw Object.assign(new Error('conflict'), { code: 409 });
        }
        return store.replace(ns, name, body);
      };
    })(),
  };
  assert.equal(await applySecret(conflicting, manifest('two')), 'updated');

  store.secrets.set('ecr-pull', { ...store.secrets.get('ecr-pull')!, type: 'Opaque' });
  await assert.rejects(applySecret(store, manifest('three')), /has type `Opaque`/);
});

test('refreshes come at the interval, earlier when the token would expire first, never in a burst', () => {
  const cases = [
    { name: 'a 12h token and a 6h interval wait 6h', interval: 6 * H, life: 12 * H, want: 6 * H },
    {
      name: 'a 1h token and a 6h interval wait until 30 min before expiry',
      interval: 6 * H,
      life: H,
      want: H / 2,
    },
    { name: 'an almost expired token waits one minute', interval: 6 * H, life: 60_000, want: 60_000 },
  ];
  for (const c of cases)
    assert.equal(nextRefreshDelay(c.interval, new Date(T0 + c.life), T0), c.want, c.name);
  assert.deepEqual(
    [1, 2, 3, 7, 8, 50].map((n) => retryDelay(n, 6 * H)),
    [5_000, 10_000, 20_000, 300_000, 300_000, 300_000],
    'failures back off from 5 s, doubling, up to 5 min',
  );
  assert.equal(retryDelay(10, 120_000), 120_000, 'never longer than the interval');
});

/** A fake clock whose sleep advances time at once, stopping the loop after `stopAfter` sleeps. */
function fastTimer(stopAfter: number) {
  let now = T0;
  const stop = new AbortController();
  const slept: number[] = [];
  return {
    slept,
    signal: stop.signal,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
      if (slept.length >= stopAfter) stop.abort();
    },
  };
}

test('the refresh loop logs each refresh, backs off on failures without stopping, and stops on the signal', async () => {
  const timer = fastTimer(5);
  const outcomes = ['ok', 'fail', 'fail', 'ok', 'ok'];
  const lines: string[] = [];
  let i = 0;
  const counts = await refreshLoop(
    6 * H,
    async () => {
      if (outcomes[i++] === 'fail') throw new Error('network down');
      return { action: 'updated', expiresAt: new Date(timer.now() + 12 * H) };
    },
    { ...timer, log: (l) => lines.push(l) },
  );
  assert.deepEqual(counts, { refreshes: 3, failures: 2 });
  assert.deepEqual(timer.slept, [6 * H, 5_000, 10_000, 6 * H, 6 * H]);
  assert.equal(lines.length, 5);
  assert.match(lines[0]!, /^2026-01-02T03:04:05\.000Z updated secret, token expires .*, next refresh in 6h$/);
  assert.match(lines[1]!, /refresh failed: network down; retrying in 5s$/);
  assert.match(lines[2]!, /retrying in 10s$/);
});

/** Surroundings for the command in memory: a token source, an in-memory cluster, captured output. */
function fakeDeps(store: SecretStore, extra: Partial<K8sDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: TokenRequest[] = [];
  let n = 0;
  const deps: K8sDeps = {
    env: {},
    now: () => T0,
    fetchToken: async (req) => {
      requests.push(req);
      return token(`pw-${++n}`);
    },
    secretStore: async () => store,
    sleep: async () => {},
    out: (t) => out.push(t),
    err: (l) => err.push(l),
    ...extra,
  };
  return { deps, out, err, requests };
}

test('without --apply the manifest is printed as YAML or JSON and nothing reaches the cluster', async () => {
  const store = memoryStore();
  for (const output of ['yaml', 'json']) {
    const f = fakeDeps(store);
    assert.equal(await k8sCommand(['pull-secret', ...base, '-o', output], f.deps), 0, f.err.join('\n'));
    const printed = f.out.join('');
    const doc = output === 'json' ? (JSON.parse(printed) as V1Secret) : loadYaml<V1Secret>(printed);
    assert.equal(doc.kind, 'Secret', output);
    assert.equal(doc.metadata?.namespace, 'apps');
    assert.ok(doc.data?.['.dockerconfigjson'] !== undefined);
  }
  assert.deepEqual(store.calls, []);
});

test('--apply reports the action without printing the token; --refresh runs until stopped', async () => {
  const store = memoryStore();
  const once = fakeDeps(store);
  assert.equal(await k8sCommand(['pull-secret', ...base, '--apply'], once.deps), 0, once.err.join('\n'));
  assert.match(once.out.join(''), /^secret\/apps\/ecr-pull created: 127\.0\.0\.1:7560, token expires /);
  assert.ok(!once.out.join('').includes('pw-1'));

  const timer = fastTimer(3);
  const loop = fakeDeps(store, { ...timer });
  assert.equal(await k8sCommand(['pull-secret', ...base, '--apply', '--refresh', '6h'], loop.deps), 0);
  assert.equal(loop.requests.length, 3);
  assert.equal(loop.err.filter((l) => / updated secret, /.test(l)).length, 3, loop.err.join('\n'));
  assert.match(loop.err.at(-1)!, /stopped after 3 refresh\(es\) and 0 failure\(s\)/);
});

test('usage errors exit 2 with the usage, --help exits 0', async () => {
  const f = fakeDeps(memoryStore());
  assert.equal(await k8sCommand(['pull-secret', ...base, '--apply', '--refresh', '12h'], f.deps), 2);
  assert.match(f.err[0]!, /--refresh must be shorter than the 12h life/);
  assert.match(f.err[0]!, /usage: crossdock k8s pull-secret/);
  assert.equal(await k8sCommand(['frobnicate'], f.deps), 2);
  assert.equal(await k8sCommand(['pull-secret', '--help'], f.deps), 0);
  assert.equal(await k8sCommand(['--help'], f.deps), 0);
  assert.match(f.out.join(''), /usage: crossdock k8s pull-secret/);
});
