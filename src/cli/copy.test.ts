import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyUsageError,
  destinationRoles,
  fileCredentials,
  parseCopyArgs,
  parseEndpoint,
  runCopyCommand,
  type CopyDeps,
} from './copy.js';

const R1 = 'arn:aws:iam::222222222222:role/pusher';
const R2 = 'arn:aws:iam::333333333333:role/team+ops=push';
const env = { AWS_REGION: 'eu-west-1' };

const roleCases = [
  { name: 'no role: none anywhere', values: [], dests: ['a', 'b'], want: [undefined, undefined] },
  { name: 'one role for every destination', values: [R1], dests: ['a', 'b'], want: [R1, R1] },
  { name: 'one role per destination, in order', values: [R1, R2], dests: ['a', 'b'], want: [R1, R2] },
  {
    name: 'DEST=ARN pairs one destination, a plain one covers the rest (ARNs may contain =)',
    values: [`b=${R2}`, R1],
    dests: ['a', 'b', 'c'],
    want: [R1, R2, R1],
  },
];
for (const c of roleCases)
  test(`roles: ${c.name}`, () => {
    assert.deepEqual(destinationRoles(c.values, c.dests), c.want);
  });

const badRoles = [
  { name: 'two plain roles for three destinations', values: [R1, R2], dests: ['a', 'b', 'c'] },
  { name: 'a pairing for no destination', values: [`z=${R1}`], dests: ['a'] },
  { name: 'the same destination paired twice', values: [`a=${R1}`, `a=${R2}`], dests: ['a'] },
  { name: 'not a role ARN', values: ['arn:aws:iam::222222222222:user/bob'], dests: ['a'] },
];
for (const c of badRoles)
  test(`roles: ${c.name} is a usage error`, () => {
    assert.throws(() => destinationRoles(c.values, c.dests), CopyUsageError);
  });

test('a crossdock path-style reference asks the registry host’s API for a token of its account', () => {
  const e = parseEndpoint('127.0.0.1:7560/111111111111/team/app:v1', { env, roleArn: R1 });
  assert.equal(e.url.href, 'http://127.0.0.1:7560/');
  assert.equal(e.repository, '111111111111/team/app');
  assert.equal(e.tag, 'v1');
  assert.deepEqual(e.auth, {
    kind: 'ecr',
    request: {
      endpoint: 'http://127.0.0.1:7560',
      region: 'eu-west-1',
      registryId: '111111111111',
      sessionName: 'crossdock-copy',
      roleArn: R1,
    },
  });
  const regional = parseEndpoint('127.0.0.1:7560/111111111111.us-west-2/app', { env });
  assert.equal(regional.repository, '111111111111.us-west-2/app');
  assert.equal(regional.auth.kind === 'ecr' && regional.auth.request.region, 'us-west-2');
});

test('a host-style crossdock name is reached on 127.0.0.1, an Amazon ECR host through AWS', () => {
  const local = parseEndpoint('111111111111.dkr.ecr.us-east-1.localhost:7560/app', { env });
  assert.equal(local.url.host, '111111111111.dkr.ecr.us-east-1.localhost:7560');
  assert.equal(local.connectTo, '127.0.0.1:7560');
  assert.equal(local.repository, 'app');
  const aws = parseEndpoint('111111111111.dkr.ecr.eu-central-1.amazonaws.com/app@sha256:' + 'b'.repeat(64), {
    env,
  });
  assert.equal(aws.url.href, 'https://111111111111.dkr.ecr.eu-central-1.amazonaws.com/');
  assert.equal(aws.auth.kind === 'ecr' && aws.auth.request.endpoint, undefined);
  assert.equal(
    aws.auth.kind === 'ecr' && aws.auth.request.region,
    'eu-central-1',
    'the host’s region, not AWS_REGION',
  );
});

test('any other registry uses the auth files, and a role for it is a usage error', () => {
  const e = parseEndpoint('127.0.0.1:5000/library/app:v1', { env });
  assert.deepEqual(e.auth, { kind: 'files', host: '127.0.0.1:5000' });
  assert.equal(e.repository, 'library/app');
  assert.throws(() => parseEndpoint('ghcr.io/o/app', { env, roleArn: R1 }), CopyUsageError);
});

test('the command line: a source, destinations, a platform', () => {
  const a = parseCopyArgs(
    [
      '127.0.0.1:1/111111111111/app:v1',
      '127.0.0.1:1/222222222222/app',
      '--platform',
      'linux/arm64/v8',
      '--json',
    ],
    env,
  );
  assert.ok(a !== 'help');
  assert.equal(a.destinations.length, 1);
  assert.deepEqual(a.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(a.json, true);
  assert.equal(parseCopyArgs(['--help'], env), 'help');
});

function deps(): CopyDeps & { printed: string[]; errors: string[] } {
  const printed: string[] = [];
  const errors: string[] = [];
  return {
    env,
    home: '/nonexistent',
    fetchToken: () => assert.fail('no token for a usage error'),
    credentialHelper: async () => undefined,
    out: (l) => printed.push(l),
    err: { write: (s) => void errors.push(s) },
    printed,
    errors,
  };
}

const usage = [
  { name: 'no destination', args: ['127.0.0.1:1/111111111111/app'] },
  { name: 'a destination twice', args: ['a/b', 'c/d', 'c/d'] },
  { name: 'an unknown option', args: ['a/b', 'c/d', '--bogus'] },
  { name: 'a bad platform', args: ['a/b', 'c/d', '--platform', 'linux'] },
  { name: 'an unreadable reference', args: ['a/b', 'Not A Reference'] },
];
for (const c of usage)
  test(`usage: ${c.name} exits 2 with the usage`, async () => {
    const d = deps();
    assert.equal(await runCopyCommand(c.args, d), 2);
    assert.match(d.errors.join(''), /^crossdock copy: .*\nusage: crossdock copy/);
  });

test('--help prints the usage and exits 0', async () => {
  const d = deps();
  assert.equal(await runCopyCommand(['--help'], d), 0);
  assert.match(d.printed.join('\n'), /DEST=ARN/);
});

test('auth files: the most specific key first, the containers file before the docker config, helpers last', async () => {
  const home = await mkdtemp(join(tmpdir(), 'crossdock-copy-auth-'));
  try {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(
      join(home, 'auth.json'),
      JSON.stringify({
        auths: { 'reg:5000/team': { auth: b64('team:t') }, 'reg:5000': { auth: b64('host:h') } },
      }),
    );
    await writeFile(
      join(home, 'config.json'),
      JSON.stringify({ auths: {}, credHelpers: { 'other:1': 'fake' } }),
    );
    const asked: string[] = [];
    const d = {
      env: {
        REGISTRY_AUTH_FILE: join(home, 'auth.json'),
        DOCKER_CONFIG: home,
        XDG_CONFIG_HOME: join(home, 'x'),
      },
      home,
      credentialHelper: async (helper: string, host: string) => {
        asked.push(`${helper} ${host}`);
        return { username: 'u', password: 'from-helper' };
      },
    };
    assert.deepEqual(await fileCredentials('reg:5000', 'team/app', d), { username: 'team', password: 't' });
    assert.deepEqual(await fileCredentials('reg:5000', 'other/app', d), { username: 'host', password: 'h' });
    assert.deepEqual(await fileCredentials('other:1', 'app', d), { username: 'u', password: 'from-helper' });
    assert.deepEqual(asked, ['fake other:1']);
    assert.equal(await fileCredentials('nowhere:1', 'app', d), undefined);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
