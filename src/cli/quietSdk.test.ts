// The AWS SDK v3 warns on stderr that it will stop supporting the running Node.js line; crossdock's
// commands must not show that warning. Each case runs a child process with no AWS or crossdock
// variables, builds SDK clients the way a command does (a real command that fails to connect), and
// checks stderr. The first case shows the SDK really warns on this Node.js when nothing silences
// it, so the others could fail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SDK_WARNING_SWITCH } from './quietSdk.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = pathToFileURL(fileURLToPath(new URL('./main.ts', import.meta.url))).href;
const HELPER = fileURLToPath(new URL('./credentialHelperBin.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** What the SDK prints (`NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) ...`). */
const WARNING = /NodeVersionSupportWarning|NodeDeprecationWarning|AWS SDK for JavaScript/;
const major = Number(process.versions.node.split('.')[0]);
/** Nothing listens here: every call fails fast, after the clients are built. */
const DEAD = 'http://127.0.0.1:9';

/** Runs node with `args` and `input` on stdin, in an environment without the switch. */
function node(args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/nonexistent',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        AWS_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
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

/** `crossdock ARGS` from the sources, as `npx crossdock` runs it. */
const crossdock = (...args: string[]) =>
  node([
    '--import',
    TSX,
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(MAIN)}); process.exitCode = await m.main(${JSON.stringify(args)});`,
  ]);

describe('the SDK Node.js support warning', () => {
  test('an SDK client built without crossdock prints it on this Node.js', async (t) => {
    if (major >= 22) return t.skip(`node ${process.versions.node} is supported by the SDK: it does not warn`);
    const r = await node([
      '--input-type=module',
      '-e',
      "const { ECRClient } = await import('@aws-sdk/client-ecr'); new ECRClient({ region: 'us-east-1' });",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, WARNING);
  });

  test('crossdock verify builds STS and ECR clients and prints no warning', async () => {
    const r = await crossdock(
      'verify',
      '--repository',
      'arn:aws:ecr:us-east-1:111111111111:repository/app',
      '--tag',
      'v1',
      '--as',
      'arn:aws:iam::111111111111:role/puller',
      '--endpoint',
      DEAD,
    );
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /✗ sts:AssumeRole/);
    assert.doesNotMatch(r.err, WARNING);
    assert.doesNotMatch(r.out, WARNING);
  });

  test('crossdock explain prints no warning', async () => {
    const r = await crossdock(
      'explain',
      '--principal',
      'arn:aws:iam::222222222222:role/puller',
      '--image',
      '127.0.0.1:9/111111111111/app:v1',
      '--endpoint',
      DEAD,
    );
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /crossdock explain: cannot use the credentials/);
    assert.doesNotMatch(r.err, WARNING);
  });

  test('docker-credential-crossdock get prints no warning', async () => {
    const r = await node(['--import', TSX, HELPER, 'get'], '127.0.0.1:9');
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.err, WARNING);
    assert.doesNotMatch(r.out, WARNING);
  });

  test('a value the user set is kept', async () => {
    const r = await node([
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `process.env.${SDK_WARNING_SWITCH} = 'false'; await import(${JSON.stringify(MAIN)}); console.log(process.env.${SDK_WARNING_SWITCH});`,
    ]);
    assert.equal(r.out.trim(), 'false', r.err);
  });
});
