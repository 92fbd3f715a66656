// StsService against the in-memory store, the real door (Authorizer) and the real engine, with a
// fixed clock and deterministic ids: every STS rule with its allow and its deny.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  addAccounts,
  addRole,
  addUser,
  allowDoc as allow,
  callerIn,
  policyDoc,
  seededRandom,
  serviceDeps,
} from '../../../test/helpers/world.js';
import { roleArn, userArn, type Caller, type CallerIdentity } from '../../auth/caller.js';
import { hashSessionToken, resolveCredential, type ResolvedCredential } from '../../auth/credentials.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import type { Account, Role, Tag, User } from '../../store/meta/records.js';
import { SecretBox } from '../../store/meta/secrets.js';
import type { ServiceDeps } from '../context.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { IdFactory } from '../ids.js';
import { StsService, type AssumeRoleInput } from './index.js';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const T0 = Date.parse('2026-11-23T12:00:00.250Z');
const T0_SECONDS = Date.parse('2026-11-23T12:00:00Z');

const trust = (principal: object, action: string | string[] = 'sts:AssumeRole', condition?: object) =>
  policyDoc([
    { Effect: 'Allow', Principal: principal, Action: action, ...(condition && { Condition: condition }) },
  ]);

/** A small world: accounts A, B, C; users, roles and policies written straight to the store. */
class World {
  readonly store = new MemoryMetadataStore();
  now = T0;
  readonly clock = { now: () => this.now };
  readonly box = SecretBox.fromKey(Buffer.alloc(32, 7));
  readonly ids = new IdFactory(seededRandom('sts-test'));
  readonly deps: ServiceDeps = serviceDeps({
    store: this.store,
    clock: this.clock,
    ids: this.ids,
    box: this.box,
  });
  readonly authz = this.deps.authz;
  readonly sts = new StsService(this.deps);
  private n = 0;

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A, B, C], T0);
    return w;
  }

  async account(id: string): Promise<Account> {
    return (await this.store.accounts.get(id))!;
  }

  /** Inline policies named `p<n>` by one counter over the whole world. */
  private named(policies: string[]) {
    return policies.map((document) => ({ name: `p${this.n++}`, document }));
  }

  async user(accountId: string, name: string, policies: string[] = [], tags: Tag[] = []): Promise<User> {
    const id = this.ids.iam('AIDA');
    return addUser(this.store, { accountId, name, id, at: T0, tags, policies: this.named(policies) });
  }

  async role(
    accountId: string,
    name: string,
    trustPolicy: string,
    opts: { policies?: string[]; maxSessionDuration?: number; tags?: Tag[]; path?: string } = {},
  ): Promise<Role> {
    const { policies = [], ...rest } = opts;
    const id = this.ids.iam('AROA');
    return addRole(this.store, {
      accountId,
      name,
      id,
      at: T0,
      trust: trustPolicy,
      ...rest,
      policies: this.named(policies),
    });
  }

  caller(accountId: string, identity: CallerIdentity, accessKeyId = 'AKIAEXAMPLE000000000'): Promise<Caller> {
    return callerIn(this.store, accountId, identity, { accessKeyId });
  }

  async userCaller(user: User): Promise<Caller> {
    return this.caller(user.accountId, { kind: 'user', user });
  }

  async rootCaller(accountId: string): Promise<Caller> {
    return this.caller(accountId, { kind: 'root' });
  }

  /** The caller the server would build from temporary credentials (through SigV4's lookup). */
  async sessionCaller(creds: { accessKeyId: string; sessionToken: string }): Promise<Caller> {
    const record = await resolveCredential(this.store, this.box, creds.accessKeyId, creds.sessionToken);
    assert.ok(record, 'credentials resolve');
    assert.equal(record.sessionToken, creds.sessionToken);
    const p = record.principal as ResolvedCredential;
    return this.caller(p.account.id, p.identity, creds.accessKeyId);
  }

  async assume(caller: Caller, input: Partial<AssumeRoleInput> & { RoleArn: string }): Promise<Caller> {
    const out = await this.sts.assumeRole(caller, { RoleSessionName: 'session', ...input });
    return this.sessionCaller(out.credentials);
  }

  async decide(caller: Caller, action: string, resource: string, resourceAccount?: string): Promise<string> {
    const r = await this.authz.check({
      caller,
      action,
      resource,
      ...(resourceAccount !== undefined && { resourceAccount }),
    });
    return r.decision;
  }
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const ROLE_A = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;
const ASSUME_A = allow('sts:AssumeRole', ROLE_A);

describe('AssumeRole authorization (seeds 000 and 002)', () => {
  interface Case {
    name: string;
    trust: string;
    callerAccount: string;
    callerPolicies?: string[];
    root?: boolean;
    roleExists?: boolean;
    expect: 'allow' | { code: string; message?: string | RegExp };
  }
  const cases: Case[] = [
    {
      name: 'a user in B with sts:AssumeRole on the role, trusted through B root, gets a session',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: B,
      callerPolicies: [ASSUME_A],
      expect: 'allow',
    },
    {
      name: 'a user in B without sts:AssumeRole permission is denied by its identity side',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: B,
      expect: {
        code: 'AccessDenied',
        message: `User: arn:aws:iam::${B}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${ROLE_A} because no identity-based policy allows the sts:AssumeRole action`,
      },
    },
    {
      name: 'a user in a third account C is denied although its own policy allows',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: C,
      callerPolicies: [ASSUME_A],
      expect: {
        code: 'AccessDenied',
        message: /because no resource-based policy allows the sts:AssumeRole action$/,
      },
    },
    {
      name: 'a trust policy naming another user of B denies this one',
      trust: trust({ AWS: `arn:aws:iam::${B}:user/bob` }),
      callerAccount: B,
      callerPolicies: [ASSUME_A],
      expect: { code: 'AccessDenied', message: /no resource-based policy/ },
    },
    {
      name: 'a trust policy naming the user directly lets it in (cross-account identity still needed and given)',
      trust: trust({ AWS: `arn:aws:iam::${B}:user/alice` }),
      callerAccount: B,
      callerPolicies: [ASSUME_A],
      expect: 'allow',
    },
    {
      name: 'same account: a trust policy naming the user needs no identity policy',
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }),
      callerAccount: A,
      expect: 'allow',
    },
    {
      name: 'same account: a trust policy naming only the account delegates to an identity policy that is missing',
      trust: trust({ AWS: `arn:aws:iam::${A}:root` }),
      callerAccount: A,
      expect: { code: 'AccessDenied', message: /because no identity-based policy allows/ },
    },
    {
      name: 'same account: a trust policy naming the account plus an identity policy allows',
      trust: trust({ AWS: A }),
      callerAccount: A,
      callerPolicies: [ASSUME_A],
      expect: 'allow',
    },
    {
      name: 'same account: an identity policy alone does not open a role whose trust is silent',
      trust: trust({ Service: 'ec2.amazonaws.com' }),
      callerAccount: A,
      callerPolicies: [allow('sts:AssumeRole')],
      expect: { code: 'AccessDenied', message: /no resource-based policy/ },
    },
    {
      name: 'an explicit deny in the caller policy wins over the trust',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: B,
      callerPolicies: [
        ASSUME_A,
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }],
        }),
      ],
      // AWS writes "an identity-based policy"; the engine writes "a" today (reported to the lead).
      expect: { code: 'AccessDenied', message: /with an explicit deny in an identity-based policy$/ },
    },
    {
      name: 'the root user of B cannot assume roles at all',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: B,
      root: true,
      expect: { code: 'AccessDenied', message: 'Roles may not be assumed by root accounts.' },
    },
    {
      name: 'a role that does not exist is denied in the same words as an untrusting one',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      callerAccount: B,
      callerPolicies: [ASSUME_A],
      roleExists: false,
      expect: {
        code: 'AccessDenied',
        message: `User: arn:aws:iam::${B}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${ROLE_A} because no resource-based policy allows the sts:AssumeRole action`,
      },
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const w = await World.create();
      if (c.roleExists !== false) {
        await w.role(A, 'RoleForCrossAccountEcrUser', c.trust, { policies: [allow('ecr:*')] });
      }
      const caller = c.root
        ? await w.rootCaller(c.callerAccount)
        : await w.userCaller(await w.user(c.callerAccount, 'alice', c.callerPolicies ?? []));
      const p = w.sts.assumeRole(caller, { RoleArn: ROLE_A, RoleSessionName: 'ConsumingCrossAccountECR' });
      if (c.expect === 'allow') {
        const out = await p;
        assert.equal(
          out.arn,
          `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/ConsumingCrossAccountECR`,
        );
        assert.match(out.assumedRoleId, /^AROA[A-Z2-7]{16}:ConsumingCrossAccountECR$/);
        assert.match(out.credentials.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
        assert.equal(out.credentials.secretAccessKey.length, 40);
        assert.equal(out.credentials.expiration.getTime(), T0_SECONDS + 3600_000);
        assert.equal(out.packedPolicySize, undefined);
      } else {
        const e = await rejects(p, c.expect.code, c.expect.message);
        if (c.expect.message instanceof RegExp || c.root !== true)
          assert.ok(e instanceof AccessDeniedError || c.root);
      }
    });
  }

  test('a session stores only the hash of its token and a sealed secret, and resolves for SigV4', async () => {
    const w = await World.create();
    await w.role(A, 'RoleForCrossAccountEcrUser', trust({ AWS: `arn:aws:iam::${B}:root` }));
    const alice = await w.userCaller(await w.user(B, 'alice', [ASSUME_A]));
    const out = await w.sts.assumeRole(alice, { RoleArn: ROLE_A, RoleSessionName: 's1' });
    const stored = (await w.store.sessions.get(out.credentials.accessKeyId))!;
    assert.equal(stored.sessionTokenHash, hashSessionToken(out.credentials.sessionToken));
    assert.ok(!JSON.stringify(stored).includes(out.credentials.sessionToken));
    assert.ok(!JSON.stringify(stored).includes(out.credentials.secretAccessKey));
    assert.equal(w.box.unseal(stored.secret, out.credentials.accessKeyId), out.credentials.secretAccessKey);
    assert.equal(stored.accountId, A);
    assert.equal(stored.chained, false);
    assert.equal(stored.expiresAt.getTime(), T0_SECONDS + 3600_000);
    const session = await w.sessionCaller(out.credentials);
    assert.equal(session.principal.arn, `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/s1`);
    const role = (await w.store.roles.get(A, 'RoleForCrossAccountEcrUser'))!;
    assert.deepEqual(role.lastUsed, { at: new Date(T0_SECONDS), region: 'us-east-1' });
  });

  test('an IAM ARN that is not a role is denied like a missing role; a non-ARN is a validation error', async () => {
    const w = await World.create();
    const alice = await w.userCaller(await w.user(A, 'alice', [allow('sts:AssumeRole')]));
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: `arn:aws:iam::${A}:user/alice`, RoleSessionName: 's1' }),
      'AccessDenied',
      `User: arn:aws:iam::${A}:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${A}:user/alice because no resource-based policy allows the sts:AssumeRole action`,
    );
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: 'not-an-arn-but-long-enough', RoleSessionName: 's1' }),
      'ValidationError',
    );
  });

  test('the role name and path in the ARN must match exactly', async () => {
    const w = await World.create();
    await w.role(A, 'Deployer', trust({ AWS: `arn:aws:iam::${A}:user/alice` }), { path: '/ci/' });
    const alice = await w.userCaller(await w.user(A, 'alice'));
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: `arn:aws:iam::${A}:role/deployer`, RoleSessionName: 's1' }),
      'AccessDenied',
    );
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: `arn:aws:iam::${A}:role/Deployer`, RoleSessionName: 's1' }),
      'AccessDenied',
    );
    const out = await w.sts.assumeRole(alice, {
      RoleArn: `arn:aws:iam::${A}:role/ci/Deployer`,
      RoleSessionName: 's1',
    });
    assert.equal(out.arn, `arn:aws:sts::${A}:assumed-role/Deployer/s1`);
  });
});

describe('AssumeRole parameters', () => {
  async function setup(
    opts: { trust?: string; maxSessionDuration?: number; rolePolicies?: string[]; roleTags?: Tag[] } = {},
  ) {
    const w = await World.create();
    await w.role(A, 'Target', opts.trust ?? trust({ AWS: `arn:aws:iam::${A}:user/alice` }), {
      policies: opts.rolePolicies ?? [allow('ecr:*')],
      maxSessionDuration: opts.maxSessionDuration ?? 3600,
      tags: opts.roleTags ?? [],
    });
    const alice = await w.userCaller(
      await w.user(A, 'alice', [allow(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])]),
    );
    return { w, alice, arn: `arn:aws:iam::${A}:role/Target` };
  }

  const VALIDATION: { name: string; input: Partial<AssumeRoleInput>; message: string | RegExp }[] = [
    {
      name: 'a session name with a space',
      input: { RoleSessionName: 'a b' },
      message:
        "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    },
    {
      name: 'a one-character session name',
      input: { RoleSessionName: 'x' },
      message:
        "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    },
    {
      name: 'a 65-character session name',
      input: { RoleSessionName: 'x'.repeat(65) },
      message:
        /at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64$/,
    },
    {
      name: 'a duration under 15 minutes',
      input: { DurationSeconds: 899 },
      message:
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    },
    {
      name: 'a duration over 12 hours',
      input: { DurationSeconds: 43_201 },
      message:
        /Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200/,
    },
    {
      name: 'two problems at once',
      input: { RoleSessionName: 'a b', DurationSeconds: 10 },
      message: /^2 validation errors detected: .*roleSessionName.*; .*durationSeconds/,
    },
    {
      name: 'a one-character external id',
      input: { ExternalId: 'x' },
      message:
        /at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2/,
    },
    {
      name: 'a session policy over 2,048 characters',
      input: { Policy: ' '.repeat(2049) },
      message: /at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048/,
    },
    {
      name: 'eleven policy ARNs',
      input: {
        PolicyArns: Array.from({ length: 11 }, () => ({
          arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        })),
      },
      message:
        /at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10/,
    },
    {
      name: 'a tag key with a forbidden character',
      input: { Tags: [{ Key: 'a#b', Value: 'v' }] },
      message:
        /at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    },
    {
      name: 'a source identity starting with aws:',
      input: { SourceIdentity: 'aws:me' },
      message:
        /at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\*/,
    },
    {
      name: 'an MFA code of five digits',
      input: { SerialNumber: 'arn:aws:iam::111111111111:mfa/alice', TokenCode: '12345' },
      message:
        /at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6/,
    },
    {
      name: 'duplicate tag keys that differ only by case',
      input: {
        Tags: [
          { Key: 'Team', Value: 'a' },
          { Key: 'team', Value: 'b' },
        ],
      },
      message: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    },
  ];
  for (const c of VALIDATION) {
    test(`ValidationError: ${c.name}`, async () => {
      const { w, alice, arn } = await setup();
      await rejects(
        w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'ok', ...c.input }),
        'ValidationError',
        c.message,
      );
      assert.equal((await w.store.roles.get(A, 'Target'))!.lastUsed, undefined, 'nothing happened');
    });
  }

  test('DurationSeconds up to MaxSessionDuration is honoured, beyond it is refused in AWS words', async () => {
    const { w, alice, arn } = await setup({ maxSessionDuration: 7200 });
    const out = await w.sts.assumeRole(alice, {
      RoleArn: arn,
      RoleSessionName: 'sess',
      DurationSeconds: 7200,
    });
    assert.equal(out.credentials.expiration.getTime(), T0_SECONDS + 7200_000);
    const short = await w.sts.assumeRole(alice, {
      RoleArn: arn,
      RoleSessionName: 'sess',
      DurationSeconds: 900,
    });
    assert.equal(short.credentials.expiration.getTime(), T0_SECONDS + 900_000);
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', DurationSeconds: 7201 }),
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  });

  test('role chaining is capped at one hour, whatever the role allows', async () => {
    const w = await World.create();
    const first = await w.role(A, 'First', trust({ AWS: `arn:aws:iam::${A}:user/alice` }), {
      policies: [allow('sts:AssumeRole')],
      maxSessionDuration: 43_200,
    });
    await w.role(A, 'Second', trust({ AWS: roleArn(first) }), { maxSessionDuration: 43_200 });
    const alice = await w.userCaller(await w.user(A, 'alice'));
    const session = await w.assume(alice, { RoleArn: roleArn(first), DurationSeconds: 43_200 });
    await rejects(
      w.sts.assumeRole(session, {
        RoleArn: `arn:aws:iam::${A}:role/Second`,
        RoleSessionName: 's2',
        DurationSeconds: 3601,
      }),
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const out = await w.sts.assumeRole(session, {
      RoleArn: `arn:aws:iam::${A}:role/Second`,
      RoleSessionName: 's2',
    });
    assert.equal(out.credentials.expiration.getTime(), T0_SECONDS + 3600_000);
    assert.equal((await w.store.sessions.get(out.credentials.accessKeyId))!.chained, true);
  });

  test('GetSessionToken credentials are capped at one hour too (observed on AWS)', async () => {
    const { w, alice, arn } = await setup({ maxSessionDuration: 7200 });
    const creds = await w.sts.getSessionToken(alice, {});
    const userSession = await w.sessionCaller(creds);
    assert.equal(userSession.identity.kind, 'user-session');
    await rejects(
      w.sts.assumeRole(userSession, { RoleArn: arn, RoleSessionName: 'sess', DurationSeconds: 7200 }),
      'ValidationError',
      /1 hour session limit/,
    );
    await w.sts.assumeRole(userSession, { RoleArn: arn, RoleSessionName: 'sess' });
  });

  test('ExternalId: required by the trust policy, compared exactly', async () => {
    const { w, alice, arn } = await setup({
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }, 'sts:AssumeRole', {
        StringEquals: { 'sts:ExternalId': 'Example987' },
      }),
    });
    await rejects(w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess' }), 'AccessDenied');
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', ExternalId: 'example987' }),
      'AccessDenied',
    );
    await w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', ExternalId: 'Example987' });
  });

  test('sts:RoleSessionName and iam:ResourceTag are visible to the trust policy', async () => {
    const { w, alice, arn } = await setup({
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }, 'sts:AssumeRole', {
        StringEquals: { 'sts:RoleSessionName': '${aws:username}', 'iam:ResourceTag/env': 'dev' },
      }),
      roleTags: [{ key: 'env', value: 'dev' }],
    });
    await rejects(w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'bob' }), 'AccessDenied');
    await w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'alice' });
  });

  test('a session policy is a ceiling: only ecr:ListImages passes the door', async () => {
    const { w, alice, arn } = await setup();
    const repo = `arn:aws:ecr:us-east-1:${A}:repository/app`;
    const policy = allow('ecr:ListImages');
    const out = await w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', Policy: policy });
    assert.ok(out.packedPolicySize !== undefined && out.packedPolicySize > 0 && out.packedPolicySize < 100);
    const session = await w.sessionCaller(out.credentials);
    assert.equal(await w.decide(session, 'ecr:ListImages', repo), 'Allow');
    assert.equal(await w.decide(session, 'ecr:PutImage', repo), 'ImplicitDeny');
    const denied = await w.authz.check({ caller: session, action: 'ecr:PutImage', resource: repo });
    assert.deepEqual(denied.denial, { by: 'session', explicit: false });
    // Without a session policy the role's own policy decides.
    const plain = await w.assume(alice, { RoleArn: arn });
    assert.equal(await w.decide(plain, 'ecr:PutImage', repo), 'Allow');
  });

  test('managed session policies (PolicyArns) are ceilings too, and must exist', async () => {
    const { w, alice, arn } = await setup();
    const repo = `arn:aws:ecr:us-east-1:${A}:repository/app`;
    const readOnly = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
    const session = await w.assume(alice, { RoleArn: arn, PolicyArns: [{ arn: readOnly }] });
    assert.equal(await w.decide(session, 'ecr:BatchGetImage', repo), 'Allow');
    assert.equal(await w.decide(session, 'ecr:PutImage', repo), 'ImplicitDeny');
    await rejects(
      w.sts.assumeRole(alice, {
        RoleArn: arn,
        RoleSessionName: 'sess',
        PolicyArns: [{ arn: `arn:aws:iam::${A}:policy/Nope` }],
      }),
      'InvalidParameterValue',
      `Policy arn:aws:iam::${A}:policy/Nope does not exist or is not attachable.`,
    );
  });

  test('a malformed session policy is MalformedPolicyDocument', async () => {
    const { w, alice, arn } = await setup();
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', Policy: '{"Version":' }),
      'MalformedPolicyDocument',
    );
    await rejects(
      w.sts.assumeRole(alice, {
        RoleArn: arn,
        RoleSessionName: 'sess',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:*' }] }),
      }),
      'MalformedPolicyDocument',
    );
  });

  test('too many long session tags exceed the packed size', async () => {
    const { w, alice, arn } = await setup({
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }, ['sts:AssumeRole', 'sts:TagSession']),
    });
    const noise = (i: number) =>
      createHash('sha512')
        .update(String(i))
        .digest('base64')
        .replace(/[^A-Za-z0-9]/g, '')
        .repeat(3)
        .slice(0, 200);
    const Tags = Array.from({ length: 50 }, (_, i) => ({
      Key: `k${i}-${noise(i + 1000).slice(0, 60)}`,
      Value: noise(i),
    }));
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', Tags }),
      'PackedPolicyTooLarge',
      /^Packed size of session tags consumes \d+% of allotted space\.$/,
    );
  });

  test('session tags need sts:TagSession and become aws:PrincipalTag (overriding role tags)', async () => {
    const repo = `arn:aws:ecr:us-east-1:${A}:repository/app`;
    const { w, alice, arn } = await setup({
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }, ['sts:AssumeRole', 'sts:TagSession']),
      rolePolicies: [allow('ecr:ListImages', '*', { StringEquals: { 'aws:PrincipalTag/team': 'blue' } })],
      roleTags: [{ key: 'Team', value: 'red' }],
    });
    const blue = await w.assume(alice, { RoleArn: arn, Tags: [{ Key: 'team', Value: 'blue' }] });
    assert.deepEqual(blue.principal.tags, { team: 'blue' });
    assert.equal(await w.decide(blue, 'ecr:ListImages', repo), 'Allow');
    const plain = await w.assume(alice, { RoleArn: arn });
    assert.equal(await w.decide(plain, 'ecr:ListImages', repo), 'ImplicitDeny', 'the role tag says red');

    const untagged = await setup();
    await rejects(
      untagged.w.sts.assumeRole(untagged.alice, {
        RoleArn: untagged.arn,
        RoleSessionName: 'sess',
        Tags: [{ Key: 'team', Value: 'blue' }],
      }),
      'AccessDenied',
      /is not authorized to perform: sts:TagSession on resource: arn:aws:iam::111111111111:role\/Target/,
    );
  });

  test('aws:RequestTag, aws:TagKeys and sts:TransitiveTagKeys are visible to the trust policy', async () => {
    const { w, alice, arn } = await setup({
      trust: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:user/alice` }, Action: 'sts:AssumeRole' },
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${A}:user/alice` },
            Action: 'sts:TagSession',
            Condition: {
              StringEquals: { 'aws:RequestTag/Department': ['Engineering', 'Marketing'] },
              'ForAllValues:StringEquals': {
                'sts:TransitiveTagKeys': ['Project', 'Department'],
                'aws:TagKeys': ['Project', 'Department'],
              },
            },
          },
        ],
      }),
    });
    await w.assume(alice, {
      RoleArn: arn,
      Tags: [{ Key: 'Department', Value: 'Engineering' }],
      TransitiveTagKeys: ['Department'],
    });
    await rejects(
      w.sts.assumeRole(alice, {
        RoleArn: arn,
        RoleSessionName: 'sess',
        Tags: [{ Key: 'Department', Value: 'Sales' }],
      }),
      'AccessDenied',
    );
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', Tags: [{ Key: 'Cost', Value: '1' }] }),
      'AccessDenied',
    );
  });

  test('transitive tags and the source identity are carried through role chaining', async () => {
    const w = await World.create();
    const both = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];
    const first = await w.role(A, 'First', trust({ AWS: `arn:aws:iam::${A}:user/alice` }, both), {
      policies: [allow(both)],
      tags: [{ key: 'Sun', value: '1' }],
    });
    const second = await w.role(A, 'Second', trust({ AWS: roleArn(first) }, both), {
      policies: [allow(both)],
    });
    const third = await w.role(A, 'Third', trust({ AWS: roleArn(second) }, ['sts:AssumeRole']));
    const alice = await w.userCaller(await w.user(A, 'alice'));
    const s1 = await w.assume(alice, {
      RoleArn: roleArn(first),
      Tags: [
        { Key: 'Star', Value: '1' },
        { Key: 'Heart', Value: '1' },
        { Key: 'Moon', Value: '1' },
      ],
      TransitiveTagKeys: ['Star', 'heart'],
      SourceIdentity: 'alice',
    });
    assert.deepEqual(s1.principal.tags, { Sun: '1', Star: '1', Heart: '1', Moon: '1' });
    const s2 = await w.assume(s1, { RoleArn: roleArn(second) });
    assert.deepEqual(
      s2.principal.tags,
      { Star: '1', Heart: '1' },
      'role tags and non-transitive tags stay behind',
    );
    const stored2 = (await w.store.sessions.get(s2.accessKeyId))!;
    assert.deepEqual(stored2.transitiveTagKeys, ['Star', 'Heart']);
    assert.equal(stored2.sourceIdentity, 'alice');
    await rejects(
      w.sts.assumeRole(s1, {
        RoleArn: roleArn(second),
        RoleSessionName: 'sess',
        Tags: [{ Key: 'HEART', Value: '3' }],
      }),
      'ValidationError',
    );
    await rejects(
      w.sts.assumeRole(s1, { RoleArn: roleArn(second), RoleSessionName: 'sess', SourceIdentity: 'mallory' }),
      'AccessDenied',
    );
    const out = await w.sts.assumeRole(s1, {
      RoleArn: roleArn(second),
      RoleSessionName: 'sess',
      SourceIdentity: 'alice',
    });
    assert.equal(out.sourceIdentity, 'alice');
    // The third role's trust lacks sts:SetSourceIdentity: the persisting source identity needs it.
    await rejects(
      w.sts.assumeRole(s2, { RoleArn: roleArn(third), RoleSessionName: 'sess3' }),
      'AccessDenied',
      /sts:SetSourceIdentity/,
    );
  });

  test('SourceIdentity needs sts:SetSourceIdentity in the trust policy and is visible as sts:SourceIdentity', async () => {
    const { w, alice, arn } = await setup({
      trust: trust({ AWS: `arn:aws:iam::${A}:user/alice` }, ['sts:AssumeRole', 'sts:SetSourceIdentity'], {
        StringEquals: { 'sts:SourceIdentity': '${aws:username}' },
      }),
    });
    await rejects(
      w.sts.assumeRole(alice, { RoleArn: arn, RoleSessionName: 'sess', SourceIdentity: 'bob' }),
      'AccessDenied',
    );
    const out = await w.sts.assumeRole(alice, {
      RoleArn: arn,
      RoleSessionName: 'sess',
      SourceIdentity: 'alice',
    });
    assert.equal(out.sourceIdentity, 'alice');
    const plain = await setup();
    await plain.w.sts.assumeRole(plain.alice, { RoleArn: plain.arn, RoleSessionName: 'sess' });
    await rejects(
      plain.w.sts.assumeRole(plain.alice, {
        RoleArn: plain.arn,
        RoleSessionName: 'sess',
        SourceIdentity: 'alice',
      }),
      'AccessDenied',
      /sts:SetSourceIdentity/,
    );
  });

  test('an MFA serial number cannot be validated (crossdock has no MFA devices)', async () => {
    const { w, alice, arn } = await setup();
    await rejects(
      w.sts.assumeRole(alice, {
        RoleArn: arn,
        RoleSessionName: 'sess',
        SerialNumber: `arn:aws:iam::${A}:mfa/alice`,
        TokenCode: '123456',
      }),
      'AccessDenied',
      /^MultiFactorAuthentication failed/,
    );
  });
});

describe('GetCallerIdentity', () => {
  test('answers for root, user, role session and GetSessionToken credentials, even under an explicit deny', async () => {
    const w = await World.create();
    const denyAll = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    const user = await w.user(B, 'alice', [
      ASSUME_A,
      denyAll.replace('"Action":"*"', '"Action":"sts:GetCallerIdentity"'),
    ]);
    const role = await w.role(A, 'RoleForCrossAccountEcrUser', trust({ AWS: `arn:aws:iam::${B}:root` }), {
      policies: [denyAll],
    });
    const alice = await w.userCaller(user);
    const session = await w.assume(alice, { RoleArn: ROLE_A, RoleSessionName: 'i-0abc1234' });
    const gst = await w.sessionCaller(await w.sts.getSessionToken(alice));

    assert.deepEqual(w.sts.getCallerIdentity(await w.rootCaller(B)), {
      userId: B,
      account: B,
      arn: `arn:aws:iam::${B}:root`,
    });
    assert.deepEqual(w.sts.getCallerIdentity(alice), { userId: user.id, account: B, arn: userArn(user) });
    assert.deepEqual(w.sts.getCallerIdentity(gst), { userId: user.id, account: B, arn: userArn(user) });
    assert.deepEqual(w.sts.getCallerIdentity(session), {
      userId: `${role.id}:i-0abc1234`,
      account: A,
      arn: `arn:aws:sts::${A}:assumed-role/RoleForCrossAccountEcrUser/i-0abc1234`,
    });
    assert.equal(
      await w.decide(session, 'sts:GetCallerIdentity', '*'),
      'ExplicitDeny',
      'the door would deny it',
    );
  });
});

describe('GetSessionToken', () => {
  test('IAM users get 12 hours by default and up to 36', async () => {
    const w = await World.create();
    const alice = await w.userCaller(await w.user(A, 'alice'));
    const creds = await w.sts.getSessionToken(alice);
    assert.equal(creds.expiration.getTime(), T0_SECONDS + 43_200_000);
    const long = await w.sts.getSessionToken(alice, { DurationSeconds: 129_600 });
    assert.equal(long.expiration.getTime(), T0_SECONDS + 129_600_000);
    const stored = (await w.store.sessions.get(creds.accessKeyId))!;
    assert.deepEqual(stored.principal, {
      type: 'User',
      userId: alice.identity.kind === 'user' ? alice.identity.user.id : '',
      userName: 'alice',
    });
    await rejects(
      w.sts.getSessionToken(alice, { DurationSeconds: 129_601 }),
      'ValidationError',
      /Member must have value less than or equal to 129600/,
    );
    await rejects(w.sts.getSessionToken(alice, { DurationSeconds: 899 }), 'ValidationError');
  });

  test('the account root is capped at one hour silently', async () => {
    const w = await World.create();
    const creds = await w.sts.getSessionToken(await w.rootCaller(A), { DurationSeconds: 7200 });
    assert.equal(creds.expiration.getTime(), T0_SECONDS + 3600_000);
    const root = await w.sessionCaller(creds);
    assert.equal(root.identity.kind, 'root-session');
    await rejects(
      w.sts.assumeRole(root, { RoleArn: ROLE_A, RoleSessionName: 'sess' }),
      'AccessDenied',
      'Roles may not be assumed by root accounts.',
    );
  });

  test('session credentials cannot call it', async () => {
    const w = await World.create();
    await w.role(A, 'RoleForCrossAccountEcrUser', trust({ AWS: `arn:aws:iam::${A}:user/alice` }));
    const alice = await w.userCaller(await w.user(A, 'alice'));
    const session = await w.assume(alice, { RoleArn: ROLE_A });
    await rejects(
      w.sts.getSessionToken(session),
      'AccessDenied',
      'Cannot call GetSessionToken with session credentials',
    );
    const gst = await w.sessionCaller(await w.sts.getSessionToken(alice));
    await rejects(
      w.sts.getSessionToken(gst),
      'AccessDenied',
      'Cannot call GetSessionToken with session credentials',
    );
  });
});

describe('IssueServiceRoleCredentials (crossdock instance-profile)', () => {
  const EC2_TRUST = trust({ Service: 'ec2.amazonaws.com' });
  const passRole = (arn = '*', condition?: object) => allow('iam:PassRole', arn, condition);

  test('with iam:PassRole and a trust for ec2.amazonaws.com, the instance gets a 6-hour session named after it', async () => {
    const w = await World.create();
    const role = await w.role(B, 'RoleToUseCrossAccountECR', EC2_TRUST, {
      policies: [allow('sts:AssumeRole', ROLE_A)],
    });
    const ops = await w.userCaller(
      await w.user(B, 'ops', [
        passRole(roleArn(role), { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }),
      ]),
    );
    const out = await w.sts.issueServiceRoleCredentials(ops, {
      roleArn: roleArn(role),
      service: 'ec2.amazonaws.com',
    });
    assert.match(out.sessionName, /^i-[0-9a-f]{17}$/);
    assert.equal(out.arn, `arn:aws:sts::${B}:assumed-role/RoleToUseCrossAccountECR/${out.sessionName}`);
    assert.equal(out.assumedRoleId, `${role.id}:${out.sessionName}`);
    assert.equal(out.credentials.expiration.getTime(), T0_SECONDS + 6 * 3600_000);
    assert.equal(out.roleName, 'RoleToUseCrossAccountECR');
    assert.equal(out.accountId, B);
    assert.equal(out.region, 'us-east-1');
    assert.equal(out.instanceProfile, undefined);

    // Seed 000/002: the instance role in B assumes the role in A; that is role chaining.
    await w.role(A, 'RoleForCrossAccountEcrUser', trust({ AWS: `arn:aws:iam::${B}:root` }));
    const instance = await w.sessionCaller(out.credentials);
    const chained = await w.sts.assumeRole(instance, {
      RoleArn: ROLE_A,
      RoleSessionName: 'ConsumingCrossAccountECR',
    });
    assert.equal(chained.credentials.expiration.getTime(), T0_SECONDS + 3600_000);
    await rejects(
      w.sts.assumeRole(instance, { RoleArn: ROLE_A, RoleSessionName: 'x1', DurationSeconds: 7200 }),
      'ValidationError',
      /1 hour session limit/,
    );
  });

  test('the same for ECS task roles, with a 32-hex task id; a given session name is kept', async () => {
    const w = await World.create();
    const role = await w.role(B, 'TaskRole', trust({ Service: 'ecs-tasks.amazonaws.com' }));
    const ops = await w.userCaller(await w.user(B, 'ops', [passRole()]));
    const out = await w.sts.issueServiceRoleCredentials(ops, {
      roleArn: roleArn(role),
      service: 'ecs-tasks.amazonaws.com',
    });
    assert.match(out.sessionName, /^[0-9a-f]{32}$/);
    const again = await w.sts.issueServiceRoleCredentials(ops, {
      roleArn: roleArn(role),
      service: 'ecs-tasks.amazonaws.com',
      sessionName: out.sessionName,
    });
    assert.equal(again.arn, out.arn);
    await rejects(
      w.sts.issueServiceRoleCredentials(ops, {
        roleArn: roleArn(role),
        service: 'ecs-tasks.amazonaws.com',
        sessionName: 'i-0123456789abcdef0',
      }),
      'ValidationError',
    );
  });

  interface DenyCase {
    name: string;
    trust: string;
    roleAccount: string;
    callerPolicies: string[];
    root?: boolean;
    service?: 'ec2.amazonaws.com' | 'ecs-tasks.amazonaws.com';
    message: RegExp;
  }
  const denials: DenyCase[] = [
    {
      name: 'a caller without iam:PassRole is denied',
      trust: EC2_TRUST,
      roleAccount: B,
      callerPolicies: [allow('ecr:*')],
      message:
        /is not authorized to perform: iam:PassRole on resource: arn:aws:iam::222222222222:role\/R because no identity-based policy allows/,
    },
    {
      name: 'PassRole limited to another service does not pass the role to EC2',
      trust: EC2_TRUST,
      roleAccount: B,
      callerPolicies: [passRole('*', { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } })],
      message: /iam:PassRole/,
    },
    {
      name: 'a role in another account cannot be passed, whatever the policies say',
      trust: EC2_TRUST,
      roleAccount: A,
      callerPolicies: [passRole()],
      message:
        /iam:PassRole on resource: arn:aws:iam::111111111111:role\/R because no resource-based policy allows/,
    },
    {
      name: 'a role that does not trust ec2.amazonaws.com fails as EC2 would',
      trust: trust({ AWS: `arn:aws:iam::${B}:root` }),
      roleAccount: B,
      callerPolicies: [passRole()],
      message: /^EC2 cannot assume the role R/,
    },
    {
      name: 'a role trusting EC2 is not an ECS task role',
      trust: EC2_TRUST,
      roleAccount: B,
      callerPolicies: [passRole()],
      service: 'ecs-tasks.amazonaws.com',
      message: /^ECS was unable to assume the role 'arn:aws:iam::222222222222:role\/R'/,
    },
  ];
  for (const c of denials) {
    test(c.name, async () => {
      const w = await World.create();
      const role = await w.role(c.roleAccount, 'R', c.trust);
      const caller = await w.userCaller(await w.user(B, 'ops', c.callerPolicies));
      const e = await rejects(
        w.sts.issueServiceRoleCredentials(caller, {
          roleArn: roleArn(role),
          service: c.service ?? 'ec2.amazonaws.com',
        }),
        'AccessDenied',
        c.message,
      );
      assert.ok(e instanceof AccessDeniedError);
      assert.equal(
        (await w.store.roles.get(c.roleAccount, 'R'))!.lastUsed,
        undefined,
        'no session was issued',
      );
    });
  }

  test('the account root may pass its own roles', async () => {
    const w = await World.create();
    const role = await w.role(B, 'R', EC2_TRUST);
    const out = await w.sts.issueServiceRoleCredentials(await w.rootCaller(B), {
      roleArn: roleArn(role),
      service: 'ec2.amazonaws.com',
    });
    assert.equal(out.accountId, B);
  });

  test('an instance profile names the role; unknown and empty profiles are refused', async () => {
    const w = await World.create();
    const role = await w.role(B, 'R', EC2_TRUST);
    const profile = await w.store.instanceProfiles.create({
      accountId: B,
      name: 'web',
      path: '/',
      id: w.ids.iam('AIPA'),
      createdAt: new Date(T0),
      tags: [],
    });
    await w.store.instanceProfiles.create({
      accountId: B,
      name: 'empty',
      path: '/',
      id: w.ids.iam('AIPA'),
      createdAt: new Date(T0),
      tags: [],
    });
    const ops = await w.userCaller(await w.user(B, 'ops', [passRole()]));
    await rejects(
      w.sts.issueServiceRoleCredentials(ops, { instanceProfileName: 'web', service: 'ec2.amazonaws.com' }),
      'InvalidParameterValue',
    );
    await w.store.instanceProfiles.addRole(B, 'web', 'R');
    const out = await w.sts.issueServiceRoleCredentials(ops, {
      instanceProfileName: 'web',
      service: 'ec2.amazonaws.com',
    });
    assert.equal(out.roleArn, roleArn(role));
    assert.deepEqual(out.instanceProfile, { arn: `arn:aws:iam::${B}:instance-profile/web`, id: profile.id });
    const byRole = await w.sts.issueServiceRoleCredentials(ops, {
      roleArn: roleArn(role),
      service: 'ec2.amazonaws.com',
    });
    assert.deepEqual(byRole.instanceProfile, out.instanceProfile, 'the profile holding the role is reported');
    await rejects(
      w.sts.issueServiceRoleCredentials(ops, { instanceProfileName: 'nope', service: 'ec2.amazonaws.com' }),
      'InvalidParameterValue',
      'Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
    );
    await rejects(
      w.sts.issueServiceRoleCredentials(ops, { instanceProfileName: 'empty', service: 'ec2.amazonaws.com' }),
      'InvalidParameterValue',
    );
  });

  test('a missing role is refused only after PassRole, so its absence does not leak', async () => {
    const w = await World.create();
    const nobody = await w.userCaller(await w.user(B, 'nobody'));
    const ops = await w.userCaller(await w.user(B, 'ops', [passRole()]));
    const arn = `arn:aws:iam::${B}:role/Missing`;
    await rejects(
      w.sts.issueServiceRoleCredentials(nobody, { roleArn: arn, service: 'ec2.amazonaws.com' }),
      'AccessDenied',
    );
    await rejects(
      w.sts.issueServiceRoleCredentials(ops, { roleArn: arn, service: 'ec2.amazonaws.com' }),
      'NoSuchEntity',
    );
  });
});
