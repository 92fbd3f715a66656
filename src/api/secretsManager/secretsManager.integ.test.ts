// Secrets Manager over HTTP against a started server (SQLite store), with the real AWS CLI v2
// (`@aws-sdk/client-secrets-manager` is not a dependency): awsJson1_1 as the CLI signs and parses
// it (signing name `secretsmanager`), AWS's error codes with `Message`, the CLI's pagination over
// NextToken, SecretBinary round trips, and an IAM user decided by the door.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { aws, awsCliMissing, cliEnv, keyEnv } from '../../../test/helpers/awscli.js';
import { startServer, type TestServer } from '../../../test/helpers/server.js';

const A = '111111111111';

describe('Secrets Manager over HTTP with the AWS CLI', { skip: awsCliMissing ?? false }, () => {
  let t: TestServer;
  let root: Record<string, string>;

  const ok = async (args: string[], env = root): Promise<Record<string, unknown>> => {
    const r = await aws(['secretsmanager', ...args], env);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };
  const fails = async (args: string[], env = root): Promise<string> => {
    const r = await aws(['secretsmanager', ...args], env);
    assert.notEqual(r.code, 0, r.stdout);
    return r.stderr;
  };

  before(async () => {
    if (awsCliMissing !== undefined) return;
    t = await startServer();
    root = { ...cliEnv(t.endpoint), ...keyEnv(await t.createAccount('secrets', A)) };
  });

  after(async () => {
    await t?.stop();
  });

  test('a secret is created, read, rotated, described and tagged', async () => {
    const made = await ok([
      'create-secret',
      '--name',
      'app/db',
      '--secret-string',
      'one',
      '--description',
      'd',
    ]);
    assert.match(
      String(made.ARN),
      new RegExp(`^arn:aws:secretsmanager:us-east-1:${A}:secret:app/db-[A-Za-z0-9]{6}$`),
    );
    assert.equal((await ok(['get-secret-value', '--secret-id', 'app/db'])).SecretString, 'one');
    await ok(['put-secret-value', '--secret-id', String(made.ARN), '--secret-string', 'two']);
    assert.equal((await ok(['get-secret-value', '--secret-id', 'app/db'])).SecretString, 'two');
    const previous = await ok([
      'get-secret-value',
      '--secret-id',
      'app/db',
      '--version-stage',
      'AWSPREVIOUS',
    ]);
    assert.equal(previous.SecretString, 'one');
    await ok(['tag-resource', '--secret-id', 'app/db', '--tags', 'Key=team,Value=ci']);
    await ok(['update-secret', '--secret-id', 'app/db', '--description', 'new']);
    const d = await ok(['describe-secret', '--secret-id', 'app/db']);
    assert.equal(d.Description, 'new');
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'ci' }]);
    await ok(['untag-resource', '--secret-id', 'app/db', '--tag-keys', 'team']);
    assert.equal((await ok(['describe-secret', '--secret-id', 'app/db'])).Tags, undefined);
  });

  test('a binary secret round-trips', async () => {
    await ok([
      'create-secret',
      '--name',
      'bin',
      '--secret-binary',
      'AAECAwQ=',
      '--cli-binary-format',
      'base64',
    ]);
    const got = await ok(['get-secret-value', '--secret-id', 'bin']);
    assert.equal(got.SecretBinary, 'AAECAwQ=');
    assert.equal(got.SecretString, undefined);
  });

  test('the CLI pages through ListSecrets with NextToken', async () => {
    for (const n of ['p/1', 'p/2', 'p/3']) await ok(['create-secret', '--name', n, '--secret-string', 'x']);
    const all = await ok(['list-secrets', '--page-size', '1', '--filters', 'Key=name,Values=p/']);
    assert.deepEqual(
      (all.SecretList as { Name: string }[]).map((s) => s.Name),
      ['p/1', 'p/2', 'p/3'],
    );
  });

  test("errors are AWS's codes: missing, scheduled for deletion, bad window, denied", async () => {
    assert.match(await fails(['get-secret-value', '--secret-id', 'nope']), /ResourceNotFoundException/);
    await ok(['create-secret', '--name', 'gone', '--secret-string', 'x']);
    assert.match(
      await fails(['delete-secret', '--secret-id', 'gone', '--recovery-window-in-days', '3']),
      /InvalidParameterException/,
    );
    await ok(['delete-secret', '--secret-id', 'gone', '--recovery-window-in-days', '7']);
    assert.match(
      await fails(['get-secret-value', '--secret-id', 'gone']),
      /InvalidRequestException.*marked for deletion/,
    );
    assert.match(
      await fails(['create-secret', '--name', 'app/db', '--secret-string', 'x']),
      /ResourceExistsException/,
    );
    const iam = async (args: string[]) => {
      const r = await aws(['iam', ...args], root);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    await iam(['create-user', '--user-name', 'nobody']);
    const key = JSON.parse(await iam(['create-access-key', '--user-name', 'nobody'])) as {
      AccessKey: { AccessKeyId: string; SecretAccessKey: string };
    };
    const nobody = { ...cliEnv(t.endpoint), ...keyEnv(key.AccessKey) };
    const denied = await fails(['get-secret-value', '--secret-id', 'app/db'], nobody);
    assert.match(denied, /AccessDeniedException/);
    assert.match(
      denied,
      /User: arn:aws:iam::111111111111:user\/nobody is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:app\/db-[A-Za-z0-9]{6} because no identity-based policy allows the secretsmanager:GetSecretValue action/,
    );
  });

  test('an error body carries __type and Message, as Secrets Manager sends it', async () => {
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${t.endpoint}/`,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-amz-json-1.1',
            'X-Amz-Target': 'secretsmanager.NoSuchOp',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(body.status, 400);
    const parsed = JSON.parse(body.text) as Record<string, unknown>;
    assert.equal(typeof parsed.__type, 'string');
    assert.equal(typeof parsed.Message, 'string');
  });
});
