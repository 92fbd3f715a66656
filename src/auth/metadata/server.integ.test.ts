// The EC2/ECS credential endpoints over HTTP on port 0, checked with plain requests, with the AWS
// SDK's own IMDS and container providers, and with the real `aws` CLI picking the credentials up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromContainerMetadata, fromInstanceMetadata } from '@smithy/credential-provider-imds';
import { createMetadataServer, type MetadataServer, type RoleCredentials } from './server.js';

const run = promisify(execFile);
const HOUR = 3600_000;

/** A fetcher handing out numbered credentials that expire `lifetimeMs` after the clock's now. */
function fakeFetcher(clock: { now(): number }, lifetimeMs = 6 * HOUR) {
  let n = 0;
  let failing = false;
  return {
    get calls() {
      return n;
    },
    fail(v: boolean) {
      failing = v;
    },
    async fetch(): Promise<RoleCredentials> {
      if (failing) throw new Error('the endpoint is down');
      n++;
      return {
        accessKeyId: `ASIAFAKEKEY00000000${n}`,
        secretAccessKey: `secret-${n}`.padEnd(40, 'x'),
        sessionToken: `token-${n}`,
        expiration: new Date(clock.now() + lifetimeMs),
        roleArn: 'arn:aws:iam::222222222222:role/crossdock-node-role',
        roleName: 'crossdock-node-role',
        accountId: '222222222222',
        sessionName: 'i-0123456789abcdef0',
        region: 'eu-west-1',
        instanceProfileArn: 'arn:aws:iam::222222222222:instance-profile/web',
        instanceProfileId: 'AIPAEXAMPLEPROFILE01',
      };
    },
  };
}

async function listen(md: MetadataServer): Promise<string> {
  await md.start();
  const addr = await md.listen(0);
  return `http://127.0.0.1:${addr.port}`;
}

async function token(base: string, ttl = '21600'): Promise<string> {
  const r = await fetch(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-aws-ec2-metadata-token-ttl-seconds'), ttl);
  return r.text();
}

async function get(base: string, path: string, tok?: string): Promise<{ status: number; body: string }> {
  const r = await fetch(
    `${base}${path}`,
    tok === undefined ? {} : { headers: { 'x-aws-ec2-metadata-token': tok } },
  );
  return { status: r.status, body: await r.text() };
}

describe('IMDSv2 endpoint', () => {
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => now };
  const fetcher = fakeFetcher(clock);
  const errors: unknown[] = [];
  const md = createMetadataServer({
    fetchCredentials: () => fetcher.fetch(),
    clock,
    onRefreshError: (e) => errors.push(e),
  });
  let base = '';
  before(async () => {
    base = await listen(md);
  });
  after(() => md.close());

  test('a token is needed for every GET; its TTL must be 1 to 21600 seconds', async () => {
    assert.equal((await get(base, '/latest/meta-data/iam/security-credentials/')).status, 401);
    assert.equal((await get(base, '/latest/meta-data/iam/security-credentials/', 'forged')).status, 401);
    for (const ttl of ['0', '21601', 'abc', '']) {
      const r = await fetch(`${base}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
      });
      assert.equal(r.status, 400, `ttl ${ttl}`);
    }
    assert.equal((await fetch(`${base}/latest/api/token`, { method: 'PUT' })).status, 400);
    assert.equal((await fetch(`${base}/latest/api/token`)).status, 405);
    const short = await token(base, '1');
    assert.equal((await get(base, '/latest/meta-data/instance-id', short)).status, 200);
    now += 1000;
    assert.equal((await get(base, '/latest/meta-data/instance-id', short)).status, 401, 'expired token');
  });

  test('the role name, then its credentials, as the CLI asks for them', async () => {
    const tok = await token(base);
    assert.deepEqual(await get(base, '/latest/meta-data/iam/security-credentials/', tok), {
      status: 200,
      body: 'crossdock-node-role',
    });
    const r = await get(base, '/latest/meta-data/iam/security-credentials/crossdock-node-role', tok);
    assert.equal(r.status, 200);
    const doc = JSON.parse(r.body) as Record<string, string>;
    assert.deepEqual(Object.keys(doc), [
      'Code',
      'LastUpdated',
      'Type',
      'AccessKeyId',
      'SecretAccessKey',
      'Token',
      'Expiration',
    ]);
    assert.equal(doc.Code, 'Success');
    assert.equal(doc.Type, 'AWS-HMAC');
    assert.equal(doc.AccessKeyId, 'ASIAFAKEKEY000000001');
    assert.equal(doc.LastUpdated, '2026-11-23T12:00:00Z');
    assert.equal(doc.Expiration, '2026-11-23T18:00:00Z');
    assert.equal((await get(base, '/latest/meta-data/iam/security-credentials/other-role', tok)).status, 404);
  });

  test('instance id, profile, placement and the identity document', async () => {
    const tok = await token(base);
    assert.equal((await get(base, '/latest/meta-data/instance-id', tok)).body, 'i-0123456789abcdef0');
    assert.equal((await get(base, '/latest/meta-data/placement/region', tok)).body, 'eu-west-1');
    assert.equal((await get(base, '/latest/meta-data/placement/availability-zone', tok)).body, 'eu-west-1a');
    const info = JSON.parse((await get(base, '/latest/meta-data/iam/info', tok)).body) as Record<
      string,
      string
    >;
    assert.equal(info.Code, 'Success');
    assert.equal(info.InstanceProfileArn, 'arn:aws:iam::222222222222:instance-profile/web');
    assert.equal(info.InstanceProfileId, 'AIPAEXAMPLEPROFILE01');
    const identity = JSON.parse(
      (await get(base, '/latest/dynamic/instance-identity/document', tok)).body,
    ) as Record<string, string>;
    assert.equal(identity.accountId, '222222222222');
    assert.equal(identity.instanceId, 'i-0123456789abcdef0');
    assert.equal(identity.region, 'eu-west-1');
    assert.equal((await get(base, '/latest/meta-data/nothing-here', tok)).status, 404);
  });

  test('credentials rotate when less than 15 minutes remain, and survive a failed refresh', async () => {
    const tok = await token(base);
    const key = async () =>
      (
        JSON.parse(
          (await get(base, '/latest/meta-data/iam/security-credentials/crossdock-node-role', tok)).body,
        ) as Record<string, string>
      ).AccessKeyId;
    const first = await key();
    const calls = fetcher.calls;
    now += 5 * HOUR; // 59 minutes left
    assert.equal(await key(), first);
    assert.equal(fetcher.calls, calls);
    now += 45 * 60_000; // 14 minutes left
    fetcher.fail(true);
    assert.equal(await key(), first, 'old credentials while they are valid');
    assert.equal(errors.length, 1);
    fetcher.fail(false);
    const rotated = await key();
    assert.notEqual(rotated, first);
    assert.equal(fetcher.calls, calls + 1);
  });
});

describe('container credentials endpoint', () => {
  const clock = { now: () => Date.now() };
  const fetcher = fakeFetcher(clock);
  const md = createMetadataServer({ fetchCredentials: () => fetcher.fetch(), clock, mode: 'ecs' });
  let base = '';
  before(async () => {
    base = await listen(md);
  });
  after(() => md.close());

  test('any path answers the ECS document', async () => {
    const r = await fetch(`${base}/v2/credentials/anything`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    const doc = (await r.json()) as Record<string, string>;
    assert.deepEqual(Object.keys(doc), ['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration', 'RoleArn']);
    assert.equal(doc.RoleArn, 'arn:aws:iam::222222222222:role/crossdock-node-role');
  });

  test("the SDK's container provider reads it from AWS_CONTAINER_CREDENTIALS_FULL_URI", async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${base}/creds`;
    try {
      const creds = await fromContainerMetadata({ timeout: 2000, maxRetries: 0 })();
      assert.equal(creds.accessKeyId, 'ASIAFAKEKEY000000001');
      assert.equal(creds.sessionToken, 'token-1');
    } finally {
      delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    }
  });
});

describe('real clients', () => {
  const clock = { now: () => Date.now() };
  const fetcher = fakeFetcher(clock);
  const md = createMetadataServer({ fetchCredentials: () => fetcher.fetch(), clock });
  const ecs = createMetadataServer({ fetchCredentials: () => fetcher.fetch(), clock, mode: 'ecs' });
  let base = '';
  let ecsBase = '';
  const home = mkdtempSync(join(tmpdir(), 'crossdock-imds-'));
  before(async () => {
    base = await listen(md);
    ecsBase = await listen(ecs);
  });
  after(async () => {
    await md.close();
    await ecs.close();
    rmSync(home, { recursive: true, force: true });
  });

  test("the SDK's IMDS provider takes credentials from AWS_EC2_METADATA_SERVICE_ENDPOINT", async () => {
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `${base}/`;
    try {
      const creds = await fromInstanceMetadata({ timeout: 2000, maxRetries: 0 })();
      assert.match(creds.accessKeyId, /^ASIAFAKEKEY0000000\d\d?$/);
      assert.ok(creds.expiration !== undefined && creds.expiration.getTime() > Date.now());
    } finally {
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    }
  });

  /** Runs the real `aws` CLI with no credentials but the endpoint under test. */
  async function aws(env: Record<string, string>, ...args: string[]): Promise<string> {
    const clean: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_DEFAULT_REGION: 'eu-west-1',
    };
    if (process.env.PYENV_ROOT !== undefined) clean.PYENV_ROOT = process.env.PYENV_ROOT;
    const { stdout } = await run('aws', args, { env: { ...clean, ...env }, timeout: 60_000 });
    return stdout;
  }

  test(
    'the aws CLI finds the IMDS credentials (iam-role) with only AWS_EC2_METADATA_SERVICE_ENDPOINT set',
    { timeout: 90_000 },
    async (t) => {
      try {
        await run('aws', ['--version'], { timeout: 30_000 });
      } catch {
        t.skip('the aws CLI is not installed');
        return;
      }
      const out = await aws({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `${base}/` }, 'configure', 'list');
      assert.match(out, /access_key\s+\*+[0-9A-Z]{4}\s+iam-role/);
    },
  );

  test(
    'the aws CLI finds the container credentials (container-role) with AWS_CONTAINER_CREDENTIALS_FULL_URI',
    { timeout: 90_000 },
    async (t) => {
      try {
        await run('aws', ['--version'], { timeout: 30_000 });
      } catch {
        t.skip('the aws CLI is not installed');
        return;
      }
      const out = await aws({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ecsBase}/creds` }, 'configure', 'list');
      assert.match(out, /access_key\s+\*+[0-9A-Z]{4}\s+container-role/);
    },
  );
});
