// STS over HTTP with SigV4, through the server's real request handler, driven by
// `@aws-sdk/client-sts`, the AWS SDK's IMDS provider and the real `aws` CLI: the seed 000/002
// assume-role flows with their denials, and `crossdock instance-profile` end to end.
// (A local harness until test/helpers/server.ts exists; it mounts exactly what the lead mounts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromInstanceMetadata } from '@smithy/credential-provider-imds';
import { pino } from 'pino';
import { mountable, type ApiAdapter } from '../adapter.js';
import { CROSSDOCK_TARGET_PREFIX } from '../crossdock/index.js';
import { CROSSDOCK_JSON } from '../crossdock/json.js';
import { PolicyCache } from '../../iam/index.js';
import { buildHandler } from '../../server/app.js';
import { Authorizer } from '../../services/authz.js';
import type { ServiceDeps } from '../../services/context.js';
import { IdFactory } from '../../services/ids.js';
import { StsService } from '../../services/sts/index.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { RemoteError, startInstanceProfile } from '../../cli/instanceProfile.js';
import { issueServiceRoleCredentials, ISSUE_SERVICE_ROLE_CREDENTIALS, stsApi } from './index.js';

const run = promisify(execFile);
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const REGION = 'us-east-1';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const policy = (action: string | string[], resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });
const trust = (principal: object) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });

/** crossdock's handler with STS and the IssueServiceRoleCredentials extension mounted, on port 0. */
class Harness {
  readonly store = new MemoryMetadataStore();
  readonly box = SecretBox.fromKey(randomBytes(32));
  readonly clock = { now: () => Date.now() };
  readonly ids = new IdFactory({ bytes: (n) => randomBytes(n) });
  readonly cache = new PolicyCache();
  readonly deps: ServiceDeps = {
    store: this.store,
    authz: new Authorizer({ store: this.store, cache: this.cache, clock: this.clock }),
    clock: this.clock,
    ids: this.ids,
    box: this.box,
    cache: this.cache,
    region: REGION,
  };
  readonly sts = new StsService(this.deps);
  server: Server | undefined;
  endpoint = '';

  async start(): Promise<void> {
    const extension: ApiAdapter<{ IssueServiceRoleCredentials: typeof ISSUE_SERVICE_ROLE_CREDENTIALS }> = {
      service: 'organizations',
      operations: { IssueServiceRoleCredentials: ISSUE_SERVICE_ROLE_CREDENTIALS },
      handle: (op, ctx) => issueServiceRoleCredentials(this.sts, op.input, ctx),
    };
    const handler = buildHandler({
      store: this.store,
      box: this.box,
      clock: this.clock,
      ids: this.ids,
      log: pino({ level: 'silent' }),
      apis: {
        query: { sts: mountable(stsApi(this.sts)) },
        json: new Map([
          [
            CROSSDOCK_TARGET_PREFIX,
            { protocol: CROSSDOCK_JSON, signingName: 'crossdock', adapter: mountable(extension) },
          ],
        ]),
      },
    });
    this.server = createServer(handler);
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    for (const id of [A, B, C]) {
      await this.store.accounts.create({
        id,
        name: id,
        email: `${id}@example.com`,
        status: 'ACTIVE',
        joinedMethod: 'CREATED',
        joinedAt: new Date(),
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => {
      this.server?.close(() => ok());
      this.server?.closeAllConnections();
    });
  }

  async key(accountId: string, userName?: string): Promise<Keys> {
    const id = this.ids.iam('AKIA');
    const secret = this.ids.secretAccessKey();
    await this.store.accessKeys.create({
      id,
      accountId,
      ...(userName !== undefined && { userName }),
      status: 'Active',
      secret: this.box.seal(secret, id),
      createdAt: new Date(),
    });
    return { accessKeyId: id, secretAccessKey: secret };
  }

  async user(accountId: string, name: string, policies: string[] = []): Promise<Keys> {
    await this.store.users.create({
      accountId,
      name,
      path: '/',
      id: this.ids.iam('AIDA'),
      createdAt: new Date(),
      tags: [],
    });
    let i = 0;
    for (const document of policies)
      await this.store.inlinePolicies.put({ kind: 'user', accountId, name }, { name: `p${i++}`, document });
    return this.key(accountId, name);
  }

  async role(accountId: string, name: string, trustPolicy: string, policies: string[] = []): Promise<string> {
    await this.store.roles.create({
      accountId,
      name,
      path: '/',
      id: this.ids.iam('AROA'),
      createdAt: new Date(),
      assumeRolePolicyDocument: trustPolicy,
      maxSessionDuration: 3600,
      tags: [],
    });
    let i = 0;
    for (const document of policies)
      await this.store.inlinePolicies.put({ kind: 'role', accountId, name }, { name: `p${i++}`, document });
    return `arn:aws:iam::${accountId}:role/${name}`;
  }

  client(credentials: Keys): STSClient {
    return new STSClient({ endpoint: this.endpoint, region: REGION, credentials, maxAttempts: 1 });
  }
}

async function sdkError(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  assert.fail('expected an error');
}

const h = new Harness();
const ROLE_A = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;
let alice: Keys;
let bob: Keys;
let carol: Keys;
let rootB: Keys;
let ops: Keys;

before(async () => {
  await h.start();
  await h.role(A, 'RoleForCrossAccountEcrUser', trust({ AWS: `arn:aws:iam::${B}:root` }), [policy('ecr:*')]);
  await h.role(B, 'RoleToUseCrossAccountECR', trust({ Service: 'ec2.amazonaws.com' }), [
    policy('sts:AssumeRole', ROLE_A),
  ]);
  await h.role(B, 'NotForEc2', trust({ AWS: `arn:aws:iam::${B}:root` }));
  alice = await h.user(B, 'alice', [policy('sts:AssumeRole', ROLE_A)]);
  bob = await h.user(B, 'bob');
  carol = await h.user(C, 'carol', [policy('sts:AssumeRole', ROLE_A)]);
  ops = await h.user(B, 'ops', [policy('iam:PassRole')]);
  rootB = await h.key(B);
});
after(() => h.stop());

describe('STS with @aws-sdk/client-sts', () => {
  test('seed 000: a user in B assumes the role in A; the session knows who it is', async () => {
    assert.equal(
      (await h.client(alice).send(new GetCallerIdentityCommand({}))).Arn,
      `arn:aws:iam::${B}:user/alice`,
    );
    const out = await h.client(alice).send(
      new AssumeRoleCommand({
        RoleArn: ROLE_A,
        RoleSessionName: 'ConsumingCrossAccountECR',
        DurationSeconds: 900,
      }),
    );
    assert.match(out.Credentials!.AccessKeyId!, /^ASIA/);
    assert.equal(
      out.AssumedRoleUser!.Arn,
      `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/ConsumingCrossAccountECR`,
    );
    assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{16}:ConsumingCrossAccountECR$/);
    const expires = out.Credentials!.Expiration!.getTime();
    assert.ok(Math.abs(expires - (Date.now() + 900_000)) < 5000);
    assert.equal(out.PackedPolicySize, undefined);
    const session = h.client({
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    });
    const me = await session.send(new GetCallerIdentityCommand({}));
    assert.deepEqual(
      { Arn: me.Arn, Account: me.Account, UserId: me.UserId },
      { Arn: out.AssumedRoleUser!.Arn, Account: A, UserId: out.AssumedRoleUser!.AssumedRoleId },
    );
  });

  const denials: { name: string; keys: () => Keys; message: string | RegExp }[] = [
    {
      name: 'a user in B without sts:AssumeRole',
      keys: () => bob,
      message: `User: arn:aws:iam::${B}:user/bob is not authorized to perform: sts:AssumeRole on resource: ${ROLE_A} because no identity-based policy allows the sts:AssumeRole action`,
    },
    {
      name: 'a user in a third account C',
      keys: () => carol,
      message: /^User: arn:aws:iam::333333333333:user\/carol is not authorized to perform: sts:AssumeRole/,
    },
    { name: 'the root user of B', keys: () => rootB, message: 'Roles may not be assumed by root accounts.' },
  ];
  for (const d of denials) {
    test(`AccessDenied 403 for ${d.name}`, async () => {
      const e = await sdkError(
        h.client(d.keys()).send(new AssumeRoleCommand({ RoleArn: ROLE_A, RoleSessionName: 'x1' })),
      );
      assert.equal(e.name, 'AccessDenied');
      assert.equal(e.status, 403);
      if (typeof d.message === 'string') assert.equal(e.message, d.message);
      else assert.match(e.message, d.message);
    });
  }

  test('ValidationError 400 in AWS words; session tags and policies arrive intact', async () => {
    const e = await sdkError(
      h.client(alice).send(new AssumeRoleCommand({ RoleArn: ROLE_A, RoleSessionName: 'a b' })),
    );
    assert.equal(e.name, 'ValidationError');
    assert.equal(e.status, 400);
    assert.equal(
      e.message,
      "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    const tagged = await sdkError(
      h.client(alice).send(
        new AssumeRoleCommand({
          RoleArn: ROLE_A,
          RoleSessionName: 'tagged',
          Tags: [{ Key: 'team', Value: 'blue' }],
          TransitiveTagKeys: ['team'],
        }),
      ),
    );
    assert.match(tagged.message, /sts:TagSession/, 'tags were decoded and need sts:TagSession');
    const scoped = await h.client(alice).send(
      new AssumeRoleCommand({
        RoleArn: ROLE_A,
        RoleSessionName: 'scoped',
        Policy: policy('ecr:ListImages'),
        PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly' }],
      }),
    );
    assert.ok(scoped.PackedPolicySize! > 0);
    const stored = await h.store.sessions.get(scoped.Credentials!.AccessKeyId!);
    assert.deepEqual(stored!.sessionPolicyArns, [
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
    ]);
    assert.equal(stored!.sessionPolicy, policy('ecr:ListImages'));
  });

  test('GetSessionToken for a user, refused to its own session credentials', async () => {
    const out = await h.client(alice).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const creds = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    assert.equal(
      (await h.client(creds).send(new GetCallerIdentityCommand({}))).Arn,
      `arn:aws:iam::${B}:user/alice`,
    );
    const e = await sdkError(h.client(creds).send(new GetSessionTokenCommand({})));
    assert.equal(e.name, 'AccessDenied');
    assert.equal(e.message, 'Cannot call GetSessionToken with session credentials');
  });
});

describe('crossdock instance-profile against the server', () => {
  const home = mkdtempSync(join(tmpdir(), 'crossdock-ip-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  /** The real aws CLI with no credentials but the metadata endpoint. */
  async function aws(env: Record<string, string>, ...args: string[]): Promise<string> {
    const base: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_DEFAULT_REGION: REGION,
    };
    if (process.env.PYENV_ROOT !== undefined) base.PYENV_ROOT = process.env.PYENV_ROOT;
    const { stdout } = await run('aws', ['--endpoint-url', h.endpoint, ...args], {
      env: { ...base, ...env },
      timeout: 60_000,
    });
    return stdout;
  }

  async function hasAwsCli(): Promise<boolean> {
    try {
      await run('aws', ['--version'], { timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  }

  test(
    'seed 000/002 on an "instance": IMDS credentials of the role in B, then assume-role into A',
    { timeout: 120_000 },
    async (t) => {
      const running = await startInstanceProfile(
        {
          endpoint: h.endpoint,
          roleArn: `arn:aws:iam::${B}:role/RoleToUseCrossAccountECR`,
          port: 0,
          host: '127.0.0.1',
          ecs: false,
        },
        { credentials: ops, region: REGION },
      );
      try {
        assert.match(running.env, /^AWS_EC2_METADATA_SERVICE_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/$/);
        const instanceId = running.first.sessionName;
        assert.match(instanceId, /^i-[0-9a-f]{17}$/);
        process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = running.url;
        let creds;
        try {
          creds = await fromInstanceMetadata({ timeout: 2000, maxRetries: 0 })();
        } finally {
          delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
        }
        const me = await h.client(creds).send(new GetCallerIdentityCommand({}));
        assert.equal(me.Arn, `arn:aws:sts::${B}:assumed-role/RoleToUseCrossAccountECR/${instanceId}`);

        if (!(await hasAwsCli())) {
          t.skip('the aws CLI is not installed');
          return;
        }
        const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: running.url };
        const identity = JSON.parse(await aws(env, 'sts', 'get-caller-identity')) as { Arn: string };
        assert.equal(identity.Arn, `arn:aws:sts::${B}:assumed-role/RoleToUseCrossAccountECR/${instanceId}`);
        // The tutorial's idiom: export $(printf ... $(aws sts assume-role ... --query ... --output text))
        const text = await aws(
          env,
          'sts',
          'assume-role',
          '--role-arn',
          ROLE_A,
          '--role-session-name',
          'ConsumingCrossAccountECR',
          '--query',
          'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]',
          '--output',
          'text',
        );
        const [accessKeyId, secretAccessKey, sessionToken] = text.trim().split(/\s+/);
        assert.match(accessKeyId!, /^ASIA/);
        const chained = JSON.parse(
          await aws(
            {
              AWS_ACCESS_KEY_ID: accessKeyId!,
              AWS_SECRET_ACCESS_KEY: secretAccessKey!,
              AWS_SESSION_TOKEN: sessionToken!,
            },
            'sts',
            'get-caller-identity',
          ),
        ) as { Arn: string };
        assert.equal(
          chained.Arn,
          `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/ConsumingCrossAccountECR`,
        );
      } finally {
        await running.server.close();
      }
    },
  );

  test('ECS: container credentials for a task role', async () => {
    await h.role(B, 'TaskRole', trust({ Service: 'ecs-tasks.amazonaws.com' }));
    const running = await startInstanceProfile(
      {
        endpoint: h.endpoint,
        roleArn: `arn:aws:iam::${B}:role/TaskRole`,
        port: 0,
        host: '127.0.0.1',
        ecs: true,
      },
      { credentials: ops, region: REGION },
    );
    try {
      assert.match(running.env, /^AWS_CONTAINER_CREDENTIALS_FULL_URI=/);
      const doc = (await (await fetch(running.url)).json()) as Record<string, string>;
      assert.equal(doc.RoleArn, `arn:aws:iam::${B}:role/TaskRole`);
      const me = await h
        .client({
          accessKeyId: doc.AccessKeyId!,
          secretAccessKey: doc.SecretAccessKey!,
          sessionToken: doc.Token!,
        })
        .send(new GetCallerIdentityCommand({}));
      assert.match(me.Arn!, new RegExp(`^arn:aws:sts::${B}:assumed-role/TaskRole/[0-9a-f]{32}$`));
    } finally {
      await running.server.close();
    }
  });

  const refusals: { name: string; keys: () => Keys; roleArn: string; code: string; message: RegExp }[] = [
    {
      name: 'without iam:PassRole',
      keys: () => bob,
      roleArn: `arn:aws:iam::${B}:role/RoleToUseCrossAccountECR`,
      code: 'AccessDenied',
      message: /iam:PassRole/,
    },
    {
      name: 'a role that does not trust EC2',
      keys: () => ops,
      roleArn: `arn:aws:iam::${B}:role/NotForEc2`,
      code: 'AccessDenied',
      message: /^EC2 cannot assume the role NotForEc2/,
    },
    {
      name: 'a role of another account',
      keys: () => ops,
      roleArn: ROLE_A,
      code: 'AccessDenied',
      message: /iam:PassRole on resource: arn:aws:iam::111111111111:role/,
    },
  ];
  for (const r of refusals) {
    test(`refused ${r.name}: AWS's error, nothing served`, async () => {
      await assert.rejects(
        startInstanceProfile(
          { endpoint: h.endpoint, roleArn: r.roleArn, port: 0, host: '127.0.0.1', ecs: false },
          { credentials: r.keys(), region: REGION },
        ),
        (e: unknown) => {
          assert.ok(e instanceof RemoteError);
          assert.equal(e.code, r.code);
          assert.equal(e.status, 403);
          assert.match(
            e.message,
            /^An error occurred \(AccessDenied\) when calling the IssueServiceRoleCredentials operation: /,
          );
          assert.match(
            e.message.replace(
              /^An error occurred \(\w+\) when calling the IssueServiceRoleCredentials operation: /,
              '',
            ),
            r.message,
          );
          return true;
        },
      );
    });
  }

  test(
    'the command: credential chain from the environment, one line on stdout, exit 0 on SIGTERM; exit 1 on refusal',
    { timeout: 60_000 },
    async () => {
      const root = resolve(import.meta.dirname, '../../..');
      const script =
        "import('./src/cli/instanceProfile.ts').then(async (m) => process.exit(await m.instanceProfileCommand(process.argv.slice(1))))";
      const env = (keys: Keys) => ({
        PATH: process.env.PATH ?? '',
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        AWS_REGION: REGION,
      });
      const args = [
        '--endpoint',
        h.endpoint,
        '--role-arn',
        `arn:aws:iam::${B}:role/RoleToUseCrossAccountECR`,
        '--port',
        '0',
      ];
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, '--', ...args], {
        cwd: root,
        env: env(ops),
      });
      let stdout = '';
      const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
      await new Promise<void>((ok, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('\n')) ok();
        });
        child.on('exit', () => fail(new Error(`exited early: ${stdout}`)));
      });
      assert.match(
        stdout,
        /^crossdock: serving EC2 instance credentials of arn:aws:iam::222222222222:role\/RoleToUseCrossAccountECR \(session i-[0-9a-f]{17}\) on http:\/\/127\.0\.0\.1:\d+\/ - set AWS_EC2_METADATA_SERVICE_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/\n$/,
      );
      const url = /AWS_EC2_METADATA_SERVICE_ENDPOINT=(\S+)/.exec(stdout)![1]!;
      const token = await (
        await fetch(`${url}latest/api/token`, {
          method: 'PUT',
          headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
        })
      ).text();
      const name = await (
        await fetch(`${url}latest/meta-data/iam/security-credentials/`, {
          headers: { 'x-aws-ec2-metadata-token': token },
        })
      ).text();
      assert.equal(name, 'RoleToUseCrossAccountECR');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);

      const refused = spawn(process.execPath, ['--import', 'tsx', '-e', script, '--', ...args], {
        cwd: root,
        env: env(bob),
      });
      let stderr = '';
      refused.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((ok) => refused.on('exit', (c) => ok(c)));
      assert.equal(code, 1);
      assert.match(
        stderr,
        /^An error occurred \(AccessDenied\) when calling the IssueServiceRoleCredentials operation: User: arn:aws:iam::222222222222:user\/bob is not authorized to perform: iam:PassRole/,
      );
    },
  );
});
