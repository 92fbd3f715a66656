// `crossdock login` against a started crossdock, checked with the real skopeo: the token filed in
// the containers auth file and in the docker config is what skopeo pulls with (no --src-creds),
// including a role of account A assumed from account B, and a namespace-scoped key
// (`--scope registry`) that skopeo matches for the path-style registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchRegistryToken, runLogin } from '../../src/cli/login.js';
import type { AccountCredentials } from '../helpers/server.js';
import { A, B, ROLE_ARN, skopeoMissing, startLoginWorld, type LoginWorld } from './registry-login.fixture.js';

let w: LoginWorld;

/**
 * Runs `crossdock login` in this process as an identity: its key in the environment the SDK's
 * credential chain reads (restored afterwards), no AWS config files.
 */
async function login(
  who: Pick<AccountCredentials, 'AccessKeyId' | 'SecretAccessKey'>,
  args: string[],
): Promise<{ code: number; printed: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: who.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: who.SecretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CROSSDOCK_ENDPOINT']) delete process.env[k];
  const lines: string[] = [];
  try {
    const code = await runLogin(args, {
      env: { HOME: w.work },
      home: w.work,
      now: () => Date.now(),
      fetchToken: fetchRegistryToken,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    return { code, printed: lines.join('\n') };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** The password filed under `key` in an auth file. */
async function filedPassword(file: string, key: string): Promise<string> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
  const entry = doc.auths[key];
  assert.ok(entry !== undefined, `${file} has no entry for ${key}: ${Object.keys(doc.auths).join(', ')}`);
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  assert.ok(decoded.startsWith('AWS:'), 'the user name is AWS');
  return decoded.slice(4);
}

describe('crossdock login, then skopeo', { skip: skopeoMissing ?? false }, () => {
  before(async () => {
    w = await startLoginWorld();
  });
  after(async () => {
    await w?.close();
  });

  test('the token filed for HOST:PORT is what skopeo pulls with, from the auth file and from the docker config', async () => {
    const dockerDir = await w.dir('docker');
    const authFile = join(await w.dir('containers'), 'auth.json');
    const r = await login(w.a, [`${w.host}/${A}`, '--docker-config', dockerDir, '--auth-file', authFile]);
    assert.equal(r.code, 0, r.printed);

    const dockerConfig = join(dockerDir, 'config.json');
    const password = await filedPassword(authFile, w.host);
    assert.equal(await filedPassword(dockerConfig, w.host), password, 'both files hold the same token');
    for (const f of [authFile, dockerConfig]) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
    assert.ok(!r.printed.includes(password), 'the token is not printed');
    assert.match(r.printed, new RegExp(`Login Succeeded: ${w.host.replace(/\./g, '\\.')}`));
    assert.ok(r.printed.includes(authFile) && r.printed.includes(dockerConfig), r.printed);
    assert.match(r.printed, /expires: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z \(in 12 h\)/);

    const withAuthFile = await w.pull('pulled-authfile', ['--authfile', authFile]);
    assert.ok(withAuthFile.ok, withAuthFile.out);
    const withDockerConfig = await w.pull('pulled-docker', [], { DOCKER_CONFIG: dockerDir });
    assert.ok(withDockerConfig.ok, withDockerConfig.out);
    const without = await w.pull('pulled-anonymous', []);
    assert.ok(!without.ok, 'without the login the pull is refused');
  });

  test('B’s user pulls A’s image after logging in with --role-arn; B’s own identities cannot', async () => {
    const own = join(await w.dir('b-own'), 'auth.json');
    const ownDocker = await w.dir('b-own-docker');
    const root = await login(w.b, [`${w.host}/${A}`, '--auth-file', own, '--docker-config', ownDocker]);
    assert.equal(root.code, 0, root.printed);
    const denied = await w.pull('pulled-b-own', ['--authfile', own]);
    assert.ok(!denied.ok, 'B’s root has a token but no access to A’s repository');
    assert.match(denied.out, /denied/i);
    const self = await login(w.puller, [`${w.host}/${A}`, '--auth-file', own, '--docker-config', ownDocker]);
    assert.equal(self.code, 1, 'the user alone may not even get a token');
    assert.match(self.printed, /AccessDeniedException: .*ecr:GetAuthorizationToken/);

    const role = join(await w.dir('b-role'), 'auth.json');
    const roleDocker = await w.dir('b-role-docker');
    const r = await login(w.puller, [
      `${w.host}/${A}/team/app:v1`,
      '--role-arn',
      ROLE_ARN,
      '--auth-file',
      role,
      '--docker-config',
      roleDocker,
    ]);
    assert.equal(r.code, 0, r.printed);
    assert.match(r.printed, /as arn:aws:iam::111111111111:role\/RoleForCrossAccountEcrUser/);
    const pulled = await w.pull('pulled-b-role', ['--authfile', role]);
    assert.ok(pulled.ok, pulled.out);
  });

  test('--scope registry files HOST:PORT/<account>, which skopeo matches for that account’s images', async () => {
    const file = join(await w.dir('scoped'), 'auth.json');
    const docker = await w.dir('scoped-docker');
    const r = await login(w.puller, [
      `${w.host}/${A}`,
      '--role-arn',
      ROLE_ARN,
      '--scope',
      'registry',
      '--auth-file',
      file,
      '--docker-config',
      docker,
    ]);
    assert.equal(r.code, 0, r.printed);
    const doc = JSON.parse(await readFile(file, 'utf8')) as { auths: object };
    assert.deepEqual(Object.keys(doc.auths), [`${w.host}/${A}`]);
    const pulled = await w.pull('pulled-scoped', ['--authfile', file]);
    assert.ok(pulled.ok, pulled.out);
    // Another account's path on the same server is outside the key: skopeo sends no credentials
    // (the filed token is valid, so a 401 means it was not sent; a sent one would get 403 or 404).
    const other = await w.skopeo([
      'inspect',
      '--tls-verify=false',
      '--authfile',
      file,
      `docker://${w.host}/${B}/team/app:v1`,
    ]);
    assert.ok(!other.ok);
    assert.match(other.out, /unauthorized/);
  });

  test('a key crossdock does not know is refused with AWS’s error and nothing is written', async () => {
    const dir = await w.dir('unknown-key');
    const r = await login({ AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', SecretAccessKey: 'x'.repeat(40) }, [
      `${w.host}/${A}`,
      '--auth-file',
      join(dir, 'auth.json'),
      '--docker-config',
      dir,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.printed, /^crossdock: UnrecognizedClientException: /);
    assert.deepEqual(await readdir(dir), []);
  });
});
