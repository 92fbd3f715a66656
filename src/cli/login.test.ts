import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authFilePaths,
  loginTokenRequest,
  mergeAuthFile,
  parseLoginArgs,
  runLogin,
  writeFileAtomic,
  type LoginDeps,
  type RegistryToken,
  type TokenRequest,
} from './login.js';

const A = '111111111111';
const PASSWORD = 'CDT1.cGF5bG9hZA.c2VjcmV0LXNpZ25hdHVyZQ';
const basic = (pw: string) => Buffer.from(`AWS:${pw}`).toString('base64');
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'crossdock-login-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('merging a login into an auth file keeps everything else and replaces the entry whole', () => {
  const cases = [
    {
      name: 'no file yet gives a file with just the entry',
      existing: undefined,
      want: { auths: { 'h:1': { auth: basic('pw') } } },
      warnings: 0,
    },
    {
      name: 'an empty file is treated as no file',
      existing: '  \n',
      want: { auths: { 'h:1': { auth: basic('pw') } } },
      warnings: 0,
    },
    {
      name: 'other registries, top-level settings and unknown keys stay',
      existing: JSON.stringify({
        auths: { 'quay.io': { auth: 'eA==' } },
        psFormat: 'table',
        HttpHeaders: { 'User-Agent': 'x' },
      }),
      want: {
        auths: { 'quay.io': { auth: 'eA==' }, 'h:1': { auth: basic('pw') } },
        psFormat: 'table',
        HttpHeaders: { 'User-Agent': 'x' },
      },
      warnings: 0,
    },
    {
      name: 'a stale identity token of the same key is dropped with the old entry',
      existing: JSON.stringify({ auths: { 'h:1': { auth: basic('old'), identitytoken: 'tok' } } }),
      want: { auths: { 'h:1': { auth: basic('pw') } } },
      warnings: 0,
    },
    {
      name: 'a credential helper for the key and a credsStore are reported',
      existing: JSON.stringify({ credHelpers: { 'h:1': 'ecr-login' }, credsStore: 'desktop' }),
      want: {
        credHelpers: { 'h:1': 'ecr-login' },
        credsStore: 'desktop',
        auths: { 'h:1': { auth: basic('pw') } },
      },
      warnings: 2,
    },
  ];
  for (const c of cases) {
    const m = mergeAuthFile(c.existing, 'h:1', 'AWS', 'pw');
    assert.deepEqual(JSON.parse(m.text), c.want, c.name);
    assert.equal(m.warnings.length, c.warnings, c.name);
  }
});

test('an auth file that is not a JSON object with an auths object is refused, not overwritten', () => {
  for (const existing of ['{"auths": ', '[]', '"x"', '{"auths": []}', '{"auths": "x"}'])
    assert.throws(() => mergeAuthFile(existing, 'h:1', 'AWS', 'pw'), /fix or remove it first/, existing);
});

test('an atomic write leaves a 0600 file, no temporary file, and follows a symbolic link', async () => {
  const d = await tempDir();
  const target = join(d, 'real', 'config.json');
  await writeFileAtomic(target, 'one');
  assert.equal(await readFile(target, 'utf8'), 'one');
  assert.equal((await stat(target)).mode & 0o777, 0o600);
  await writeFile(join(d, 'loose.json'), 'x', { mode: 0o644 });
  await writeFileAtomic(join(d, 'loose.json'), 'two');
  assert.equal((await stat(join(d, 'loose.json'))).mode & 0o777, 0o600, 'a looser file is tightened');
  await symlink(target, join(d, 'link.json'));
  await writeFileAtomic(join(d, 'link.json'), 'three');
  assert.ok((await lstat(join(d, 'link.json'))).isSymbolicLink(), 'the link stays a link');
  assert.equal(await readFile(target, 'utf8'), 'three');
  assert.deepEqual((await readdir(join(d, 'real'))).sort(), ['config.json']);
});

test('auth files are found where docker and the containers tools look for them', async () => {
  const home = await tempDir();
  const runtime = join(home, 'run');
  await mkdir(runtime);
  const cases = [
    {
      name: 'flags win',
      env: { DOCKER_CONFIG: '/e/docker', REGISTRY_AUTH_FILE: '/e/auth.json' },
      flags: { dockerConfigDir: '/f/docker', authFile: '/f/auth.json' },
      want: { dockerConfig: '/f/docker/config.json', containersAuth: '/f/auth.json' },
    },
    {
      name: 'then DOCKER_CONFIG and REGISTRY_AUTH_FILE',
      env: { DOCKER_CONFIG: '/e/docker', REGISTRY_AUTH_FILE: '/e/auth.json', XDG_RUNTIME_DIR: runtime },
      flags: {},
      want: { dockerConfig: '/e/docker/config.json', containersAuth: '/e/auth.json' },
    },
    {
      name: 'then the runtime directory when it exists',
      env: { XDG_RUNTIME_DIR: runtime },
      flags: {},
      want: {
        dockerConfig: join(home, '.docker', 'config.json'),
        containersAuth: join(runtime, 'containers', 'auth.json'),
      },
    },
    {
      name: 'a runtime directory that does not exist falls back to XDG_CONFIG_HOME',
      env: { XDG_RUNTIME_DIR: join(home, 'gone'), XDG_CONFIG_HOME: '/x/config' },
      flags: {},
      want: {
        dockerConfig: join(home, '.docker', 'config.json'),
        containersAuth: '/x/config/containers/auth.json',
      },
    },
    {
      name: 'and finally ~/.config',
      env: {},
      flags: {},
      want: {
        dockerConfig: join(home, '.docker', 'config.json'),
        containersAuth: join(home, '.config', 'containers', 'auth.json'),
      },
    },
  ];
  for (const c of cases) assert.deepEqual(await authFilePaths(c.env, home, c.flags), c.want, c.name);
});

test('the token request follows the flags, then the URI, and never sends an ECR host to crossdock', () => {
  const env = { CROSSDOCK_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'ap-south-1' };
  const cases = [
    {
      name: 'a path-style URI on this machine asks the same port, in the configured region',
      args: [`127.0.0.1:7560/${A}`],
      env: {},
      want: {
        endpoint: 'http://127.0.0.1:7560',
        region: 'us-east-1',
        registryId: A,
        sessionName: 'crossdock-login',
      },
    },
    {
      name: 'the region of the URI, a role and a profile',
      args: [
        `127.0.0.1:7560/${A}.eu-west-1`,
        '--role-arn',
        `arn:aws:iam::${A}:role/Puller`,
        '--profile',
        'dev',
      ],
      env: {},
      want: {
        endpoint: 'http://127.0.0.1:7560',
        region: 'eu-west-1',
        profile: 'dev',
        roleArn: `arn:aws:iam::${A}:role/Puller`,
        registryId: A,
        sessionName: 'crossdock-login',
      },
    },
    {
      name: 'an Amazon ECR host goes to AWS despite CROSSDOCK_ENDPOINT',
      args: [`${A}.dkr.ecr.eu-central-1.amazonaws.com`],
      env,
      want: { endpoint: undefined, region: 'eu-central-1', registryId: A, sessionName: 'crossdock-login' },
    },
    {
      name: '--endpoint and --region override everything',
      args: [
        `${A}.dkr.ecr.eu-central-1.amazonaws.com`,
        '--endpoint',
        'http://127.0.0.1:1',
        '--region',
        'us-west-2',
      ],
      env,
      want: {
        endpoint: 'http://127.0.0.1:1',
        region: 'us-west-2',
        registryId: A,
        sessionName: 'crossdock-login',
      },
    },
  ];
  for (const c of cases) assert.deepEqual(loginTokenRequest(parseLoginArgs(c.args), c.env), c.want, c.name);
});

test('command-line mistakes are usage errors (exit 2) and nothing is written', async () => {
  const home = await tempDir();
  const cases = [
    { name: 'no registry', args: [] },
    { name: 'two registries', args: ['a:1', 'b:1'] },
    { name: 'a reference the registry would refuse', args: ['127.0.0.1:7560/library/ubuntu'] },
    { name: 'a role ARN that is not one', args: ['127.0.0.1:7560', '--role-arn', 'Puller'] },
    { name: 'an unknown scope', args: ['127.0.0.1:7560', '--scope', 'repo'] },
    { name: 'an unknown flag', args: ['127.0.0.1:7560', '--password', 'x'] },
  ];
  for (const c of cases) {
    const { deps, errors } = fakeDeps(home, async () => assert.fail('no token is asked for'));
    assert.equal(await runLogin(c.args, deps), 2, c.name);
    assert.match(errors.join('\n'), /usage: crossdock login/, c.name);
  }
  assert.deepEqual(await readdir(home), []);
});

function fakeDeps(
  home: string,
  fetchToken: (req: TokenRequest) => Promise<RegistryToken>,
  env: NodeJS.ProcessEnv = {},
): { deps: LoginDeps; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    deps: {
      env,
      home,
      now: () => T0,
      fetchToken,
      out: (l) => lines.push(l),
      err: (l) => errors.push(l),
    },
    lines,
    errors,
  };
}

test('a login files AWS:<token> under the host in both files (0600), prints where and until when, never the token', async () => {
  const home = await tempDir();
  const asked: TokenRequest[] = [];
  const token = { username: 'AWS', password: PASSWORD, expiresAt: new Date(T0 + 12 * 3600_000) };
  const { deps, lines, errors } = fakeDeps(home, async (req) => {
    asked.push(req);
    return token;
  });
  await mkdir(join(home, '.docker'));
  await writeFile(
    join(home, '.docker', 'config.json'),
    JSON.stringify({ auths: { 'quay.io': { auth: 'eA==' } } }),
  );

  assert.equal(await runLogin([`127.0.0.1:7560/${A}`], deps), 0, errors.join('\n'));
  assert.equal(asked.length, 1);
  const docker = join(home, '.docker', 'config.json');
  const containers = join(home, '.config', 'containers', 'auth.json');
  assert.deepEqual(JSON.parse(await readFile(docker, 'utf8')), {
    auths: { 'quay.io': { auth: 'eA==' }, '127.0.0.1:7560': { auth: basic(PASSWORD) } },
  });
  assert.deepEqual(JSON.parse(await readFile(containers, 'utf8')), {
    auths: { '127.0.0.1:7560': { auth: basic(PASSWORD) } },
  });
  for (const f of [docker, containers]) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
  const printed = [...lines, ...errors].join('\n');
  assert.ok(!printed.includes(PASSWORD) && !printed.includes(basic(PASSWORD)), 'the token is never printed');
  assert.match(printed, /Login Succeeded: 127\.0\.0\.1:7560/);
  assert.ok(printed.includes(docker) && printed.includes(containers));
  assert.match(printed, /2026-01-02T15:04:05\.000Z \(in 12 h\)/);
});

test('--scope registry files the token under HOST:PORT/<account>[.<region>]', async () => {
  const home = await tempDir();
  const token = { username: 'AWS', password: PASSWORD, expiresAt: new Date(T0 + 50 * 60_000) };
  const { deps, lines } = fakeDeps(home, async () => token, { REGISTRY_AUTH_FILE: join(home, 'auth.json') });
  assert.equal(await runLogin([`127.0.0.1:7560/${A}.eu-west-1/app`, '--scope', 'registry'], deps), 0);
  const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as { auths: object };
  assert.deepEqual(Object.keys(auth.auths), [`127.0.0.1:7560/${A}.eu-west-1`]);
  assert.match(lines.join('\n'), /\(in 50 min\)/);
});

test('--json says where the token went and until when, as JSON, never the token', async () => {
  const home = await tempDir();
  const token = { username: 'AWS', password: PASSWORD, expiresAt: new Date(T0 + 12 * 3600_000) };
  const { deps, lines } = fakeDeps(home, async () => token);
  const role = `arn:aws:iam::${A}:role/R`;
  assert.equal(await runLogin([`127.0.0.1:7560/${A}`, '--role-arn', role, '--json'], deps), 0);
  assert.deepEqual(JSON.parse(lines.join('\n')), {
    registry: '127.0.0.1:7560',
    roleArn: role,
    username: 'AWS',
    dockerConfig: join(home, '.docker', 'config.json'),
    containersAuth: join(home, '.config', 'containers', 'auth.json'),
    expiresAt: new Date(T0 + 12 * 3600_000).toISOString(),
  });
  assert.ok(!lines.join('\n').includes(PASSWORD));
});

test('a refused token request exits 1 with the AWS error and writes nothing', async () => {
  const home = await tempDir();
  const { deps, errors } = fakeDeps(home, async () => {
    const e = new Error(
      'User: arn:aws:iam::222222222222:user/x is not authorized to perform: sts:AssumeRole',
    );
    e.name = 'AccessDenied';
    throw e;
  });
  assert.equal(await runLogin([`127.0.0.1:7560/${A}`, '--role-arn', `arn:aws:iam::${A}:role/R`], deps), 1);
  assert.match(errors.join('\n'), /^crossdock: AccessDenied: User: .* sts:AssumeRole$/);
  assert.deepEqual(await readdir(home), []);
});

test('a damaged auth file is reported and left as it was', async () => {
  const home = await tempDir();
  const file = join(home, 'auth.json');
  await writeFile(file, '{"auths": ');
  const token = { username: 'AWS', password: PASSWORD, expiresAt: new Date(T0 + 3600_000) };
  const { deps, errors } = fakeDeps(home, async () => token);
  assert.equal(await runLogin([`127.0.0.1:7560/${A}`, '--auth-file', file], deps), 1);
  assert.match(errors.join('\n'), /cannot update `.*auth\.json`: it is not valid JSON/);
  assert.equal(await readFile(file, 'utf8'), '{"auths": ');
  assert.deepEqual(await readdir(home), ['auth.json'], 'the docker config is not written either');
});
