// docker-credential-crossdock against a started crossdock, run the way clients run it: skopeo finds
// `credHelpers: {"127.0.0.1:PORT": "crossdock"}` in its auth file (or the docker config), runs
// `docker-credential-crossdock get` from PATH (here a wrapper that runs the TypeScript sources, so no
// build is needed), and pulls account A's image as the role the helper's config file maps the
// registry to, assumed from account B's profile. Then the token cache: with the server stopped,
// the helper still answers the cached token, and only that one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_FOUND } from '../../src/cli/credentialHelper.js';
import { ROLE_ARN, skopeoMissing, startLoginWorld, type LoginWorld } from './registry-login.fixture.js';

const HELPER_SOURCE = fileURLToPath(new URL('../../src/cli/credentialHelperBin.ts', import.meta.url));

let w: LoginWorld;
/** The directory put first on PATH, holding the `docker-credential-crossdock` wrapper. */
let binDir = '';
/** Environment of skopeo and the helper: profiles file, helper config, cache, PATH. */
let env: Record<string, string> = {};
let cacheDir = '';

/** Runs the helper as clients do: one action, input on stdin, answer on stdout. */
function helper(
  args: string[],
  input: string,
  extra: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(binDir, 'docker-credential-crossdock'), args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: w.work, ...env, ...extra },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        out: Buffer.concat(out).toString('utf8'),
        err: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}

describe('docker-credential-crossdock with skopeo', { skip: skopeoMissing ?? false }, () => {
  before(async () => {
    w = await startLoginWorld();
    binDir = await w.dir('bin');
    const tsx = import.meta.resolve('tsx');
    await writeFile(
      join(binDir, 'docker-credential-crossdock'),
      `#!/bin/sh\nexec '${process.execPath}' --import '${tsx}' '${HELPER_SOURCE}' "$@"\n`,
    );
    await chmod(join(binDir, 'docker-credential-crossdock'), 0o755);

    const profiles = join(await w.dir('aws'), 'credentials');
    await writeFile(
      profiles,
      `[consumer]\naws_access_key_id = ${w.puller.AccessKeyId}\naws_secret_access_key = ${w.puller.SecretAccessKey}\n` +
        `[b-root]\naws_access_key_id = ${w.b.AccessKeyId}\naws_secret_access_key = ${w.b.SecretAccessKey}\n`,
    );
    const config = join(await w.dir('helper'), 'credential-helper.json');
    await writeFile(
      config,
      JSON.stringify({
        registries: { [w.host]: { profile: 'consumer', roleArn: ROLE_ARN, region: 'us-east-1' } },
      }),
    );
    cacheDir = join(await w.dir('cache'), 'tokens');
    env = {
      PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      AWS_SHARED_CREDENTIALS_FILE: profiles,
      AWS_CONFIG_FILE: '/dev/null',
      CROSSDOCK_CREDENTIAL_HELPER_CONFIG: config,
      CROSSDOCK_CACHE_DIR: cacheDir,
    };
  });
  after(async () => {
    await w?.close();
  });

  test('skopeo pulls A’s image through credHelpers, the helper assuming A’s role from B’s profile', async () => {
    const authFile = join(await w.dir('auth'), 'auth.json');
    await writeFile(authFile, JSON.stringify({ credHelpers: { [w.host]: 'crossdock' } }));
    const pulled = await w.pull('pulled-helper', ['--authfile', authFile], env);
    assert.ok(pulled.ok, pulled.out);

    const files = await readdir(cacheDir);
    assert.equal(files.length, 1, 'one token cached for the host and identity');
    assert.equal((await stat(join(cacheDir, files[0]!))).mode & 0o777, 0o600);

    // The docker config's credHelpers work the same (containers tools read it after auth.json).
    const dockerDir = await w.dir('docker');
    await writeFile(
      join(dockerDir, 'config.json'),
      JSON.stringify({ credHelpers: { [w.host]: 'crossdock' } }),
    );
    const viaDocker = await w.pull('pulled-helper-docker', [], { ...env, DOCKER_CONFIG: dockerDir });
    assert.ok(viaDocker.ok, viaDocker.out);
  });

  test('mapped to B’s own identity instead of the role, the same pull is denied', async () => {
    const config = join(await w.dir('helper-own'), 'credential-helper.json');
    await writeFile(config, JSON.stringify({ registries: { [w.host]: { profile: 'b-root' } } }));
    const authFile = join(await w.dir('auth-own'), 'auth.json');
    await writeFile(authFile, JSON.stringify({ credHelpers: { [w.host]: 'crossdock' } }));
    const denied = await w.pull('pulled-own', ['--authfile', authFile], {
      ...env,
      CROSSDOCK_CREDENTIAL_HELPER_CONFIG: config,
    });
    assert.ok(!denied.ok);
    assert.match(denied.out, /denied/i);
  });

  test('the protocol from the command line: list, get, an unknown registry, store and erase', async () => {
    const input = JSON.stringify({ ServerURL: w.host, Username: 'AWS', Secret: 'x' });
    const [list, unknown, store, erase] = await Promise.all([
      helper(['list'], ''),
      helper(['get'], 'https://index.docker.io/v1/'),
      helper(['store'], input),
      helper(['erase'], w.host),
    ]);
    assert.equal(list.code, 0, list.out + list.err);
    assert.deepEqual(JSON.parse(list.out), { [w.host]: 'AWS' });
    assert.deepEqual([unknown.code, unknown.out.trim()], [1, NOT_FOUND]);
    assert.deepEqual([store.code, store.out, erase.code, erase.out], [0, '', 0, '']);
  });

  test('a cached token is answered again with the server stopped; an uncached identity cannot be', async () => {
    const first = await helper(['get'], w.host);
    assert.equal(first.code, 0, first.out + first.err);
    const answer = JSON.parse(first.out) as { ServerURL: string; Username: string; Secret: string };
    assert.equal(answer.ServerURL, w.host);
    assert.equal(answer.Username, 'AWS');
    const [file] = await readdir(cacheDir);
    const cached = JSON.parse(await readFile(join(cacheDir, file!), 'utf8')) as { secret: string };
    assert.equal(answer.Secret, cached.secret, 'the token skopeo was given is the cached one');

    await w.stopServer();
    const again = await helper(['get'], w.host);
    assert.equal(again.code, 0, again.out + again.err);
    assert.equal((JSON.parse(again.out) as { Secret: string }).Secret, answer.Secret);

    const config = join(await w.dir('helper-uncached'), 'credential-helper.json');
    await writeFile(config, JSON.stringify({ registries: { [w.host]: { profile: 'b-root' } } }));
    const uncached = await helper(['get'], w.host, {
      CROSSDOCK_CREDENTIAL_HELPER_CONFIG: config,
      CROSSDOCK_CACHE_DIR: join(w.work, 'empty-cache'),
    });
    assert.equal(uncached.code, 1, 'with the server gone, a token that is not cached cannot be had');
    assert.match(uncached.out, new RegExp(`^getting a token for \`${w.host.replace(/\./g, '\\.')}\`: `));
  });
});
