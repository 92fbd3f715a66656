import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  CACHE_MARGIN_MS,
  cachedTokenFiles,
  credentialHelperMain,
  NOT_FOUND,
  parseHelperConfig,
  type HelperDeps,
} from './credentialHelper.js';
import type { RegistryToken, TokenRequest } from './login.js';

const A = '111111111111';
const ROLE = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;
const T0 = Date.UTC(2026, 0, 2, 3, 0, 0);
const HOUR = 3600_000;

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A helper world: a home directory, a config file, a clock moved by hand, a counting token source. */
async function world(config?: unknown, env: NodeJS.ProcessEnv = {}) {
  const home = await mkdtemp(join(tmpdir(), 'crossdock-helper-'));
  dirs.push(home);
  const configFile = join(home, 'helper.json');
  if (config !== undefined)
    await writeFile(configFile, typeof config === 'string' ? config : JSON.stringify(config));
  const asked: TokenRequest[] = [];
  let now = T0;
  let serial = 0;
  const w = {
    home,
    asked,
    env: { CROSSDOCK_CREDENTIAL_HELPER_CONFIG: configFile, ...env } as NodeJS.ProcessEnv,
    advance(ms: number) {
      now += ms;
    },
    fail: undefined as Error | undefined,
    deps(): Partial<HelperDeps> {
      return {
        env: w.env,
        home,
        now: () => now,
        fetchToken: async (req): Promise<RegistryToken> => {
          asked.push(req);
          if (w.fail !== undefined) throw w.fail;
          serial += 1;
          return { username: 'AWS', password: `secret-${serial}`, expiresAt: new Date(now + 12 * HOUR) };
        },
      };
    },
    /** Runs one action; returns the exit code and what it printed. */
    async run(args: string[], input = ''): Promise<{ code: number; out: string }> {
      const stdout = new PassThrough();
      const chunks: Buffer[] = [];
      stdout.on('data', (c: Buffer) => chunks.push(c));
      const code = await credentialHelperMain(args, Readable.from([Buffer.from(input)]), stdout, w.deps());
      return { code, out: Buffer.concat(chunks).toString('utf8') };
    },
  };
  return w;
}

const CONFIG = {
  registries: {
    '127.0.0.1:7560': { profile: 'consumer', roleArn: ROLE, region: 'eu-west-1' },
    'http://crossdock.internal:7560/': { endpoint: 'http://10.1.2.3:7560' },
  },
};

test('get answers the configured identity’s token in the protocol’s JSON', async () => {
  const w = await world(CONFIG);
  const r = await w.run(['get'], '127.0.0.1:7560');
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(JSON.parse(r.out), { ServerURL: '127.0.0.1:7560', Username: 'AWS', Secret: 'secret-1' });
  assert.deepEqual(w.asked, [
    {
      endpoint: 'http://127.0.0.1:7560',
      region: 'eu-west-1',
      profile: 'consumer',
      roleArn: ROLE,
      sessionName: 'crossdock-credential-helper',
    },
  ]);
});

test('how each kind of registry host is served, or not', async () => {
  const cases = [
    {
      name: 'a configured host with its own endpoint, written as a URL in the config',
      url: 'crossdock.internal:7560',
      env: {},
      want: { endpoint: 'http://10.1.2.3:7560', region: 'us-east-1' },
    },
    {
      name: 'an unconfigured loopback host is crossdock on the same port',
      url: 'localhost:7561',
      env: { AWS_REGION: 'ap-south-1' },
      want: { endpoint: 'http://127.0.0.1:7561', region: 'ap-south-1' },
    },
    {
      name: 'CROSSDOCK_ENDPOINT overrides the derived endpoint',
      url: '127.0.0.2:7561',
      env: { CROSSDOCK_ENDPOINT: 'http://127.0.0.1:9999' },
      want: { endpoint: 'http://127.0.0.1:9999', region: 'us-east-1' },
    },
    {
      name: 'a host-style crossdock name carries account and region',
      url: `https://${A}.dkr.ecr.eu-north-1.registry.example.com`,
      env: {},
      want: {
        endpoint: `https://${A}.dkr.ecr.eu-north-1.registry.example.com`,
        region: 'eu-north-1',
        registryId: A,
      },
    },
    {
      name: 'an Amazon ECR host goes to AWS in its region, whatever CROSSDOCK_ENDPOINT says',
      url: `${A}.dkr.ecr.eu-central-1.amazonaws.com`,
      env: { CROSSDOCK_ENDPOINT: 'http://127.0.0.1:9999' },
      want: { endpoint: undefined, region: 'eu-central-1', registryId: A },
    },
  ];
  for (const c of cases) {
    const w = await world(CONFIG, c.env);
    const r = await w.run(['get'], c.url);
    assert.equal(r.code, 0, `${c.name}: ${r.out}`);
    assert.deepEqual(w.asked, [{ ...c.want, sessionName: 'crossdock-credential-helper' }], c.name);
  }
});

test('registries the helper does not serve are "not found", and no token is asked for', async () => {
  for (const url of ['https://index.docker.io/v1/', 'quay.io', 'registry.example.com:7560', '']) {
    const w = await world(CONFIG, { CROSSDOCK_ENDPOINT: 'http://127.0.0.1:7560' });
    const r = await w.run(['get'], url);
    assert.equal(r.code, 1, url);
    if (url !== '') assert.equal(r.out.trim(), NOT_FOUND, url);
    assert.deepEqual(w.asked, [], url);
  }
});

test('a cached token is reused until 15 minutes before it expires, then renewed', async () => {
  const w = await world(CONFIG);
  const secret = async () => JSON.parse((await w.run(['get'], '127.0.0.1:7560')).out).Secret as string;
  assert.equal(await secret(), 'secret-1');
  w.advance(12 * HOUR - CACHE_MARGIN_MS - 1);
  assert.equal(await secret(), 'secret-1', 'one millisecond inside the margin is still served');
  assert.equal(w.asked.length, 1);
  w.advance(1);
  assert.equal(await secret(), 'secret-2', 'at the margin a new token is fetched');
  assert.equal(w.asked.length, 2);

  const files = await cachedTokenFiles({ env: w.env, home: w.home });
  assert.equal(files.length, 1, 'the renewed token replaced the old one');
  const dir = join(w.home, '.crossdock', 'cache');
  assert.equal((await stat(join(dir, files[0]!))).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
});

test('the cache is keyed by host and identity', async () => {
  const w = await world(CONFIG, { AWS_ACCESS_KEY_ID: 'AKIAONE' });
  const get = async (url: string) => JSON.parse((await w.run(['get'], url)).out).Secret as string;
  assert.equal(await get('localhost:7561'), 'secret-1');
  assert.equal(await get('localhost:7561'), 'secret-1');
  assert.equal(await get('localhost:7562'), 'secret-2', 'another host');
  w.env.AWS_ACCESS_KEY_ID = 'AKIATWO';
  assert.equal(await get('localhost:7561'), 'secret-3', 'another access key');
  w.env.AWS_PROFILE = 'other';
  assert.equal(await get('localhost:7561'), 'secret-4', 'another profile');
  assert.equal(await get('127.0.0.1:7560'), 'secret-5', 'a configured role');
  assert.equal(await get('127.0.0.1:7560'), 'secret-5');
  assert.equal(w.asked.length, 5);
  const files = await cachedTokenFiles({ env: w.env, home: w.home });
  assert.equal(files.length, 5);
  for (const f of files) {
    const text = await readFile(join(w.home, '.crossdock', 'cache', f), 'utf8');
    assert.ok(!text.includes('AKIA'), 'no access key id in the cache');
  }
});

test('a damaged cache file is replaced by a fresh token', async () => {
  const w = await world(CONFIG, { CROSSDOCK_CACHE_DIR: '' });
  w.env.CROSSDOCK_CACHE_DIR = join(w.home, 'cache');
  await w.run(['get'], '127.0.0.1:7560');
  const [file] = await readdir(join(w.home, 'cache'));
  await writeFile(join(w.home, 'cache', file!), '{"secret": ');
  const r = await w.run(['get'], '127.0.0.1:7560');
  assert.equal(JSON.parse(r.out).Secret, 'secret-2');
});

test('a failed token request prints the AWS error on stdout, exits 1 and caches nothing', async () => {
  const w = await world(CONFIG);
  const e = new Error(
    `User: arn:aws:iam::222222222222:root is not authorized to perform: sts:AssumeRole on ${ROLE}`,
  );
  e.name = 'AccessDenied';
  w.fail = e;
  const r = await w.run(['get'], '127.0.0.1:7560');
  assert.equal(r.code, 1);
  assert.match(r.out, /^getting a token for `127\.0\.0\.1:7560`: AccessDenied: User: .*sts:AssumeRole/);
  assert.deepEqual(await cachedTokenFiles({ env: w.env, home: w.home }), []);
});

test('list names the configured registries; store succeeds without storing anything', async () => {
  const w = await world(CONFIG);
  const list = await w.run(['list']);
  assert.equal(list.code, 0);
  assert.deepEqual(JSON.parse(list.out), { '127.0.0.1:7560': 'AWS', 'crossdock.internal:7560': 'AWS' });
  const store = await w.run(
    ['store'],
    JSON.stringify({ ServerURL: '127.0.0.1:7560', Username: 'AWS', Secret: 'typed-by-hand' }),
  );
  assert.deepEqual(store, { code: 0, out: '' });
  assert.deepEqual(await cachedTokenFiles({ env: w.env, home: w.home }), []);
  assert.equal((await w.run(['bogus'])).code, 1);
});

test('erase (docker logout) drops every cached token of that host and no other', async () => {
  const w = await world(CONFIG, { AWS_ACCESS_KEY_ID: 'AKIAONE' });
  await w.run(['get'], 'localhost:7561');
  w.env.AWS_ACCESS_KEY_ID = 'AKIATWO';
  await w.run(['get'], 'localhost:7561');
  await w.run(['get'], 'localhost:7562');
  assert.equal((await cachedTokenFiles({ env: w.env, home: w.home })).length, 3);
  assert.deepEqual(await w.run(['erase'], 'http://localhost:7561/'), { code: 0, out: '' });
  assert.equal((await cachedTokenFiles({ env: w.env, home: w.home })).length, 1);
  assert.equal(JSON.parse((await w.run(['get'], 'localhost:7561')).out).Secret, 'secret-4', 'fetched anew');
  assert.equal(JSON.parse((await w.run(['get'], 'localhost:7562')).out).Secret, 'secret-3', 'still cached');
});

test('no config file means no configured registries', async () => {
  const w = await world(undefined);
  assert.deepEqual(JSON.parse((await w.run(['list'])).out), {});
  assert.equal((await w.run(['get'], 'localhost:7560')).code, 0, 'loopback is still served');
});

test('a config file that is not what it should be is an error, not silently ignored', async () => {
  const cases = [
    { name: 'not JSON', text: '{', error: /is not valid JSON/ },
    { name: 'no registries', text: '{"registry": {}}', error: /must be \{"registries"/ },
    {
      name: 'an entry that is not an object',
      text: '{"registries": {"h:1": "prod"}}',
      error: /is not an object/,
    },
    {
      name: 'a misspelt field',
      text: '{"registries": {"h:1": {"rolearn": "x"}}}',
      error: /`h:1` has unknown field `rolearn`/,
    },
    {
      name: 'an empty value',
      text: '{"registries": {"h:1": {"profile": ""}}}',
      error: /must be a non-empty string/,
    },
  ];
  for (const c of cases) assert.throws(() => parseHelperConfig(c.text, 'helper.json'), c.error, c.name);
  const w = await world('{"registries": {"127.0.0.1:7560": {"rolearn": "x"}}}');
  const r = await w.run(['get'], '127.0.0.1:7560');
  assert.equal(r.code, 1);
  assert.match(r.out, /unknown field `rolearn`/);
  assert.deepEqual(w.asked, []);
});
