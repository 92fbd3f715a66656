// IamService against the in-memory store, the real door (Authorizer) and the real engine, with a
// fixed clock and deterministic ids: one case per behaviour and per error code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAccounts,
  allowDoc as allow,
  callerIn,
  policyDoc as doc,
  roleSessionRecord,
  seededRandom,
  serviceDeps,
} from '../../../test/helpers/world.js';
import type { Caller, CallerIdentity } from '../../auth/caller.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../../store/meta/secrets.js';
import type { ServiceDeps } from '../context.js';
import { ServiceError } from '../errors.js';
import { IdFactory } from '../ids.js';
import { IamService } from './index.js';

const A = '111111111111';
const B = '222222222222';
const T0 = Date.parse('2026-11-23T12:00:00.250Z');
const POWER_USER = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
const READ_ONLY = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';

/** Seed 002's trust policy: account B may assume the role. */
const TRUST_B = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B}:root` },
        Action: 'sts:AssumeRole',
        Condition: {},
      },
    ],
  },
  null,
  2,
);
/** Seed 002's instance role in B: EC2 may assume it. */
const TRUST_EC2 = doc([
  { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
]);
const trustAws = (arn: string) =>
  doc([{ Effect: 'Allow', Principal: { AWS: arn }, Action: 'sts:AssumeRole' }]);

class World {
  readonly store = new MemoryMetadataStore();
  readonly clock = { now: () => T0 };
  readonly box = SecretBox.fromKey(Buffer.alloc(32, 3));
  readonly deps: ServiceDeps = serviceDeps({
    store: this.store,
    clock: this.clock,
    ids: new IdFactory(seededRandom('iam-test')),
    box: this.box,
  });
  readonly iam = new IamService(this.deps);

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  caller(accountId: string, identity: CallerIdentity): Promise<Caller> {
    return callerIn(this.store, accountId, identity);
  }

  root(accountId = A): Promise<Caller> {
    return this.caller(accountId, { kind: 'root' });
  }

  /** A user of A created by A's root, with the given inline policies, as a caller. */
  async user(name: string, policies: string[] = [], accountId = A): Promise<Caller> {
    const root = await this.root(accountId);
    await this.iam.createUser(root, { UserName: name });
    for (const [i, p] of policies.entries()) {
      await this.iam.putUserPolicy(root, { UserName: name, PolicyName: `p${i}`, PolicyDocument: p });
    }
    const user = (await this.store.users.get(accountId, name))!;
    return this.caller(accountId, { kind: 'user', user });
  }

  async roleSession(roleName: string, accountId = A): Promise<Caller> {
    const role = (await this.store.roles.get(accountId, roleName))!;
    const session = roleSessionRecord(role, { box: this.box, issuedAt: T0, expiresAt: T0 + 3600_000 });
    return this.caller(accountId, { kind: 'role-session', role, session });
  }
}

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

interface Case {
  readonly name: string;
  readonly run: (w: World) => Promise<void>;
}

const cases: Case[] = [
  // ── roles ──
  {
    name: 'CreateRole with seed 002 trust policy answers the role with an AROA id and the encoded document',
    async run(w) {
      const { Role } = await w.iam.createRole(await w.root(), {
        RoleName: 'RoleForCrossAccountEcrUser',
        AssumeRolePolicyDocument: TRUST_B,
      });
      assert.equal(Role.Arn, `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`);
      assert.match(Role.RoleId, /^AROA[A-Z2-7]{16}$/);
      assert.equal(Role.Path, '/');
      assert.equal(Role.MaxSessionDuration, 3600);
      assert.equal(decodeURIComponent(Role.AssumeRolePolicyDocument), TRUST_B);
      assert.deepEqual(Object.keys(Role), [
        'Path',
        'RoleName',
        'RoleId',
        'Arn',
        'CreateDate',
        'AssumeRolePolicyDocument',
        'MaxSessionDuration',
      ]);
      assert.equal(Role.CreateDate.getTime(), T0);
    },
  },
  {
    name: 'GetRole round-trips path, description, tags, boundary and the trust policy',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, {
        RoleName: 'App',
        Path: '/team/',
        AssumeRolePolicyDocument: TRUST_EC2,
        Description: 'ecr puller',
        MaxSessionDuration: 7200,
        PermissionsBoundary: READ_ONLY,
        Tags: [{ Key: 'Team', Value: 'Payments' }],
      });
      const { Role } = await w.iam.getRole(root, { RoleName: 'app' });
      assert.equal(Role.Arn, `arn:aws:iam::${A}:role/team/App`);
      assert.equal(Role.Description, 'ecr puller');
      assert.equal(Role.MaxSessionDuration, 7200);
      assert.deepEqual(Role.PermissionsBoundary, {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: READ_ONLY,
      });
      assert.deepEqual(Role.Tags, [{ Key: 'Team', Value: 'Payments' }]);
      assert.equal(decodeURIComponent(Role.AssumeRolePolicyDocument), TRUST_EC2);
      assert.deepEqual(Role.RoleLastUsed, {});
    },
  },
  {
    name: 'CreateRole with a name taken in another case is EntityAlreadyExists',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'Builder', AssumeRolePolicyDocument: TRUST_EC2 });
      await rejects(
        w.iam.createRole(root, { RoleName: 'BUILDER', AssumeRolePolicyDocument: TRUST_EC2 }),
        'EntityAlreadyExists',
        'Role with name BUILDER already exists.',
      );
    },
  },
  {
    name: 'CreateRole with a bad name is a ValidationError in AWS words',
    async run(w) {
      await rejects(
        w.iam.createRole(await w.root(), { RoleName: 'bad name', AssumeRolePolicyDocument: TRUST_EC2 }),
        'ValidationError',
        "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      );
    },
  },
  {
    name: 'CreateRole with MaxSessionDuration below an hour and a bad path collects both violations',
    async run(w) {
      await rejects(
        w.iam.createRole(await w.root(), {
          RoleName: 'r',
          Path: 'team',
          AssumeRolePolicyDocument: TRUST_EC2,
          MaxSessionDuration: 100,
        }),
        'ValidationError',
        /^2 validation errors detected: Value 'team' at 'path'.*; Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600$/,
      );
    },
  },
  {
    name: 'CreateRole with a 65-character name is a ValidationError on length',
    async run(w) {
      await rejects(
        w.iam.createRole(await w.root(), { RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST_EC2 }),
        'ValidationError',
        /Member must have length less than or equal to 64/,
      );
    },
  },
  {
    name: 'a trust policy naming a user that does not exist is MalformedPolicyDocument',
    async run(w) {
      const ghost = `arn:aws:iam::${B}:user/ghost`;
      await rejects(
        w.iam.createRole(await w.root(), { RoleName: 'r', AssumeRolePolicyDocument: trustAws(ghost) }),
        'MalformedPolicyDocument',
        `Invalid principal in policy: "AWS":"${ghost}"`,
      );
    },
  },
  {
    name: 'a trust policy naming an existing user or role of another account is accepted',
    async run(w) {
      await w.user('devusr2', [], B);
      await w.iam.createRole(await w.root(B), {
        RoleName: 'RoleToUseCrossAccountECR',
        AssumeRolePolicyDocument: TRUST_EC2,
      });
      const root = await w.root();
      await w.iam.createRole(root, {
        RoleName: 'r1',
        AssumeRolePolicyDocument: trustAws(`arn:aws:iam::${B}:user/devusr2`),
      });
      await w.iam.createRole(root, {
        RoleName: 'r2',
        AssumeRolePolicyDocument: trustAws(`arn:aws:iam::${B}:role/RoleToUseCrossAccountECR`),
      });
      await w.iam.createRole(root, { RoleName: 'r3', AssumeRolePolicyDocument: trustAws('999999999999') });
    },
  },
  {
    name: 'a trust policy naming a role under the wrong path is rejected',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'deep', Path: '/a/', AssumeRolePolicyDocument: TRUST_EC2 });
      await rejects(
        w.iam.createRole(root, {
          RoleName: 'r',
          AssumeRolePolicyDocument: trustAws(`arn:aws:iam::${A}:role/deep`),
        }),
        'MalformedPolicyDocument',
      );
    },
  },
  {
    name: 'a trust policy with a Resource is MalformedPolicyDocument',
    async run(w) {
      const bad = doc([
        {
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Resource: '*',
        },
      ]);
      await rejects(
        w.iam.createRole(await w.root(), { RoleName: 'r', AssumeRolePolicyDocument: bad }),
        'MalformedPolicyDocument',
        'Has prohibited field Resource',
      );
    },
  },
  {
    name: 'GetRole of an unknown role is NoSuchEntity',
    async run(w) {
      await rejects(
        w.iam.getRole(await w.root(), { RoleName: 'nope' }),
        'NoSuchEntity',
        'The role with name nope cannot be found.',
      );
    },
  },
  {
    name: 'UpdateRole changes description and duration; UpdateAssumeRolePolicy replaces the trust policy',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2, Description: 'x' });
      await w.iam.updateRole(root, { RoleName: 'r', MaxSessionDuration: 43200, Description: '' });
      await w.iam.updateAssumeRolePolicy(root, { RoleName: 'r', PolicyDocument: TRUST_B });
      const { Role } = await w.iam.getRole(root, { RoleName: 'r' });
      assert.equal(Role.MaxSessionDuration, 43200);
      assert.equal(Role.Description, undefined);
      assert.equal(decodeURIComponent(Role.AssumeRolePolicyDocument), TRUST_B);
      await rejects(w.iam.updateRole(root, { RoleName: 'r', MaxSessionDuration: 43201 }), 'ValidationError');
      await rejects(
        w.iam.updateAssumeRolePolicy(root, {
          RoleName: 'r',
          PolicyDocument: trustAws(`arn:aws:iam::${A}:user/x`),
        }),
        'MalformedPolicyDocument',
      );
    },
  },
  {
    name: 'ListRoles pages with MaxItems and Marker, without tags',
    async run(w) {
      const root = await w.root();
      for (const n of ['c', 'a', 'b']) {
        await w.iam.createRole(root, {
          RoleName: n,
          AssumeRolePolicyDocument: TRUST_EC2,
          Tags: [{ Key: 'k', Value: 'v' }],
        });
      }
      const first = await w.iam.listRoles(root, { MaxItems: 2 });
      assert.deepEqual(
        first.Roles.map((r) => r.RoleName),
        ['a', 'b'],
      );
      assert.equal(first.IsTruncated, true);
      assert.equal(first.Roles[0]!.Tags, undefined);
      const rest = await w.iam.listRoles(root, { Marker: first.Marker! });
      assert.deepEqual(
        rest.Roles.map((r) => r.RoleName),
        ['c'],
      );
      assert.equal(rest.IsTruncated, false);
      assert.equal(rest.Marker, undefined);
      await rejects(w.iam.listRoles(root, { MaxItems: 0 }), 'ValidationError');
      await rejects(w.iam.listRoles(root, { Marker: 'garbage' }), 'InvalidInput');
    },
  },
  {
    name: 'DeleteRole is refused while inline policies, attached policies or instance profiles remain',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      await w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'p', PolicyDocument: allow('ecr:*') });
      await rejects(
        w.iam.deleteRole(root, { RoleName: 'r' }),
        'DeleteConflict',
        'Cannot delete entity, must delete policies first.',
      );
      await w.iam.deleteRolePolicy(root, { RoleName: 'r', PolicyName: 'p' });
      await w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER });
      await rejects(
        w.iam.deleteRole(root, { RoleName: 'r' }),
        'DeleteConflict',
        'Cannot delete entity, must detach all policies first.',
      );
      await w.iam.detachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER });
      await w.iam.createInstanceProfile(root, { InstanceProfileName: 'ip' });
      await w.iam.addRoleToInstanceProfile(root, { InstanceProfileName: 'ip', RoleName: 'r' });
      await rejects(
        w.iam.deleteRole(root, { RoleName: 'r' }),
        'DeleteConflict',
        'Cannot delete entity, must remove roles from instance profile first.',
      );
      await w.iam.removeRoleFromInstanceProfile(root, { InstanceProfileName: 'ip', RoleName: 'r' });
      await w.iam.deleteRole(root, { RoleName: 'r' });
      await rejects(w.iam.getRole(root, { RoleName: 'r' }), 'NoSuchEntity');
    },
  },
  // ── inline policies ──
  {
    name: 'PutRolePolicy stores the document; GetRolePolicy returns it URL-encoded; ListRolePolicies names it',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      const p = allow('sts:AssumeRole', `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`);
      await w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'assume', PolicyDocument: p });
      const got = await w.iam.getRolePolicy(root, { RoleName: 'r', PolicyName: 'assume' });
      assert.deepEqual(Object.keys(got), ['RoleName', 'PolicyName', 'PolicyDocument']);
      assert.equal(decodeURIComponent(got.PolicyDocument), p);
      assert.deepEqual((await w.iam.listRolePolicies(root, { RoleName: 'r' })).PolicyNames, ['assume']);
      await rejects(
        w.iam.getRolePolicy(root, { RoleName: 'r', PolicyName: 'other' }),
        'NoSuchEntity',
        'The role policy with name other cannot be found.',
      );
    },
  },
  {
    name: 'an inline policy with a Principal is MalformedPolicyDocument',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      await rejects(
        w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'p', PolicyDocument: TRUST_EC2 }),
        'MalformedPolicyDocument',
        'Policy document should not specify a principal.',
      );
      await rejects(
        w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'p', PolicyDocument: '{not json' }),
        'MalformedPolicyDocument',
        'Syntax errors in policy.',
      );
    },
  },
  {
    name: 'inline policies past the aggregate size of a role (10,240) or a user (2,048) are LimitExceeded',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      const big = (n: number) =>
        allow(Array.from({ length: n }, (_, i) => `ecr:Action${String(i).padStart(4, '0')}`));
      await w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'a', PolicyDocument: big(250) });
      await w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'b', PolicyDocument: big(250) });
      await rejects(
        w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'c', PolicyDocument: big(250) }),
        'LimitExceeded',
        'Maximum policy size of 10240 bytes exceeded for role r',
      );
      await w.iam.createUser(root, { UserName: 'u' });
      await w.iam.putUserPolicy(root, { UserName: 'u', PolicyName: 'a', PolicyDocument: big(60) });
      await rejects(
        w.iam.putUserPolicy(root, { UserName: 'u', PolicyName: 'b', PolicyDocument: big(60) }),
        'LimitExceeded',
        'Maximum policy size of 2048 bytes exceeded for user u',
      );
    },
  },
  {
    name: "a role's inline policy larger than a managed policy may be (6,144) still decides its sessions' requests",
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      const actions = Array.from({ length: 420 }, (_, i) => `ecr:Action${String(i).padStart(4, '0')}`);
      const doc = allow([...actions, 'iam:GetRole']);
      assert.ok(doc.replace(/\s/g, '').length > 6144);
      await w.iam.putRolePolicy(root, { RoleName: 'r', PolicyName: 'big', PolicyDocument: doc });
      const session = await w.roleSession('r');
      const got = await w.iam.getRole(session, { RoleName: 'r' });
      assert.equal(got.Role.RoleName, 'r');
      await rejects(w.iam.listRoles(session, {}), 'AccessDenied');
    },
  },
  // ── attachments ──
  {
    name: 'AttachRolePolicy takes the AWS managed ECR policy and lists it; unknown ARNs are NoSuchEntity',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_B });
      await w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER });
      await w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER });
      const listed = await w.iam.listAttachedRolePolicies(root, { RoleName: 'r' });
      assert.deepEqual(listed.AttachedPolicies, [
        { PolicyName: 'AmazonEC2ContainerRegistryPowerUser', PolicyArn: POWER_USER },
      ]);
      const missing = 'arn:aws:iam::aws:policy/NoSuchPolicy';
      await rejects(
        w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: missing }),
        'NoSuchEntity',
        `Policy ${missing} does not exist or is not attachable.`,
      );
      await rejects(
        w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: `arn:aws:iam::${B}:policy/elsewhere` }),
        'NoSuchEntity',
      );
      await rejects(
        w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: 'not-an-arn-at-all-really' }),
        'InvalidInput',
      );
      await rejects(
        w.iam.detachRolePolicy(root, { RoleName: 'r', PolicyArn: READ_ONLY }),
        'NoSuchEntity',
        `Policy ${READ_ONLY} was not found.`,
      );
    },
  },
  {
    name: 'an eleventh managed policy on a role is LimitExceeded',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      for (let i = 0; i < 10; i++) {
        const { Policy } = await w.iam.createPolicy(root, {
          PolicyName: `p${i}`,
          PolicyDocument: allow('ecr:*'),
        });
        await w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: Policy.Arn });
      }
      await rejects(
        w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER }),
        'LimitExceeded',
        'Cannot exceed quota for PoliciesPerRole: 10',
      );
    },
  },
  // ── managed policies ──
  {
    name: 'CreatePolicy answers v1 with an ANPA id; versions go up to five; the default version cannot be deleted',
    async run(w) {
      const root = await w.root();
      const { Policy } = await w.iam.createPolicy(root, {
        PolicyName: 'EcrPull',
        Path: '/ci/',
        PolicyDocument: allow('ecr:BatchGetImage'),
        Description: 'pull',
      });
      assert.equal(Policy.Arn, `arn:aws:iam::${A}:policy/ci/EcrPull`);
      assert.match(Policy.PolicyId!, /^ANPA/);
      assert.equal(Policy.DefaultVersionId, 'v1');
      assert.equal(Policy.AttachmentCount, 0);
      assert.equal(Policy.IsAttachable, true);
      for (let i = 2; i <= 5; i++) {
        const { PolicyVersion } = await w.iam.createPolicyVersion(root, {
          PolicyArn: Policy.Arn,
          PolicyDocument: allow(`ecr:Action${i}`),
          SetAsDefault: i === 3,
        });
        assert.equal(PolicyVersion.VersionId, `v${i}`);
        assert.equal(PolicyVersion.Document, undefined);
      }
      await rejects(
        w.iam.createPolicyVersion(root, { PolicyArn: Policy.Arn, PolicyDocument: allow('ecr:X') }),
        'LimitExceeded',
        'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
      );
      assert.equal((await w.iam.getPolicy(root, { PolicyArn: Policy.Arn })).Policy.DefaultVersionId, 'v3');
      const v3 = await w.iam.getPolicyVersion(root, { PolicyArn: Policy.Arn, VersionId: 'v3' });
      assert.equal(decodeURIComponent(v3.PolicyVersion.Document!), allow('ecr:Action3'));
      assert.equal(v3.PolicyVersion.IsDefaultVersion, true);
      await rejects(
        w.iam.deletePolicyVersion(root, { PolicyArn: Policy.Arn, VersionId: 'v3' }),
        'DeleteConflict',
        'Cannot delete the default version of a policy.',
      );
      await rejects(
        w.iam.getPolicyVersion(root, { PolicyArn: Policy.Arn, VersionId: 'v9' }),
        'NoSuchEntity',
        `Policy ${Policy.Arn} version v9 does not exist or is not attachable.`,
      );
      await w.iam.setDefaultPolicyVersion(root, { PolicyArn: Policy.Arn, VersionId: 'v5' });
      const versions = await w.iam.listPolicyVersions(root, { PolicyArn: Policy.Arn });
      assert.deepEqual(
        versions.Versions.map((v) => [v.VersionId, v.IsDefaultVersion]),
        [
          ['v5', true],
          ['v4', false],
          ['v3', false],
          ['v2', false],
          ['v1', false],
        ],
      );
    },
  },
  {
    name: 'DeletePolicy is refused while attached or while other versions remain',
    async run(w) {
      const root = await w.root();
      const { Policy } = await w.iam.createPolicy(root, { PolicyName: 'p', PolicyDocument: allow('ecr:*') });
      await w.iam.createUser(root, { UserName: 'u' });
      await w.iam.attachUserPolicy(root, { UserName: 'u', PolicyArn: Policy.Arn });
      await rejects(
        w.iam.deletePolicy(root, { PolicyArn: Policy.Arn }),
        'DeleteConflict',
        'Cannot delete a policy attached to entities.',
      );
      await w.iam.detachUserPolicy(root, { UserName: 'u', PolicyArn: Policy.Arn });
      await w.iam.createPolicyVersion(root, { PolicyArn: Policy.Arn, PolicyDocument: allow('ecr:List*') });
      await rejects(
        w.iam.deletePolicy(root, { PolicyArn: Policy.Arn }),
        'DeleteConflict',
        /more than one version/,
      );
      await w.iam.deletePolicyVersion(root, { PolicyArn: Policy.Arn, VersionId: 'v2' });
      await w.iam.deletePolicy(root, { PolicyArn: Policy.Arn });
      await rejects(
        w.iam.getPolicy(root, { PolicyArn: Policy.Arn }),
        'NoSuchEntity',
        `Policy ${Policy.Arn} was not found.`,
      );
    },
  },
  {
    name: 'CreatePolicy with a duplicate name, a bad document or an oversized document fails as IAM does',
    async run(w) {
      const root = await w.root();
      await w.iam.createPolicy(root, { PolicyName: 'p', PolicyDocument: allow('ecr:*') });
      await rejects(
        w.iam.createPolicy(root, { PolicyName: 'P', PolicyDocument: allow('ecr:*') }),
        'EntityAlreadyExists',
        'A policy called P already exists. Duplicate names are not allowed.',
      );
      await rejects(
        w.iam.createPolicy(root, {
          PolicyName: 'q',
          PolicyDocument: doc([{ Effect: 'Allow', Action: 'ecr:*' }]),
        }),
        'MalformedPolicyDocument',
        'Policy statement must contain resources.',
      );
      const huge = allow(Array.from({ length: 400 }, (_, i) => `ecr:SomeLongActionName${i}`));
      await rejects(
        w.iam.createPolicy(root, { PolicyName: 'q', PolicyDocument: huge }),
        'LimitExceeded',
        'Cannot exceed quota for PolicySize: 6144',
      );
    },
  },
  {
    name: 'ListPolicies with Scope AWS lists the ECR managed policies; Local and OnlyAttached filter',
    async run(w) {
      const root = await w.root();
      const aws = await w.iam.listPolicies(root, { Scope: 'AWS' });
      const names = aws.Policies.map((p) => p.PolicyName);
      assert.ok(names.includes('AmazonEC2ContainerRegistryPowerUser'));
      assert.ok(names.includes('AmazonEC2ContainerRegistryReadOnly'));
      const power = aws.Policies.find((p) => p.Arn === POWER_USER)!;
      assert.equal(power.AttachmentCount, 0);
      await w.iam.createPolicy(root, { PolicyName: 'mine', PolicyDocument: allow('ecr:*') });
      assert.deepEqual(
        (await w.iam.listPolicies(root, { Scope: 'Local' })).Policies.map((p) => p.PolicyName),
        ['mine'],
      );
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      await w.iam.attachRolePolicy(root, { RoleName: 'r', PolicyArn: POWER_USER });
      const attached = await w.iam.listPolicies(root, { OnlyAttached: true });
      assert.deepEqual(
        attached.Policies.map((p) => [p.PolicyName, p.AttachmentCount]),
        [['AmazonEC2ContainerRegistryPowerUser', 1]],
      );
      const got = await w.iam.getPolicy(root, { PolicyArn: POWER_USER });
      assert.equal(got.Policy.AttachmentCount, 1);
      assert.equal(got.Policy.DefaultVersionId, 'v3');
      const v = await w.iam.getPolicyVersion(root, { PolicyArn: POWER_USER, VersionId: 'v3' });
      assert.match(decodeURIComponent(v.PolicyVersion.Document!), /ecr:PutImage/);
      await rejects(w.iam.listPolicies(root, { Scope: 'Mine' }), 'ValidationError');
    },
  },
  // ── users and access keys ──
  {
    name: 'CreateUser answers an AIDA id; GetUser without a name is the caller; ListUsers lists',
    async run(w) {
      const root = await w.root();
      const { User } = await w.iam.createUser(root, { UserName: 'devusr2', Path: '/dev/' });
      assert.match(User.UserId, /^AIDA/);
      assert.equal(User.Arn, `arn:aws:iam::${A}:user/dev/devusr2`);
      const me = await w.user('alice', [allow('iam:GetUser', `arn:aws:iam::${A}:user/alice`)]);
      assert.equal((await w.iam.getUser(me, {})).User.UserName, 'alice');
      const rootUser = (await w.iam.getUser(root, {})).User;
      assert.equal(rootUser.Arn, `arn:aws:iam::${A}:root`);
      assert.equal(rootUser.UserId, A);
      assert.deepEqual(
        (await w.iam.listUsers(root, {})).Users.map((u) => u.UserName),
        ['alice', 'devusr2'],
      );
      assert.deepEqual(
        (await w.iam.listUsers(root, { PathPrefix: '/dev/' })).Users.map((u) => u.UserName),
        ['devusr2'],
      );
      await rejects(
        w.iam.createUser(root, { UserName: 'ALICE' }),
        'EntityAlreadyExists',
        'User with name ALICE already exists.',
      );
      await rejects(
        w.iam.getUser(root, { UserName: 'bob' }),
        'NoSuchEntity',
        'The user with name bob cannot be found.',
      );
    },
  },
  {
    name: 'GetUser and CreateAccessKey without UserName from a role session are ValidationError',
    async run(w) {
      await w.iam.createRole(await w.root(), { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      await w.iam.putRolePolicy(await w.root(), {
        RoleName: 'r',
        PolicyName: 'all',
        PolicyDocument: allow('iam:*'),
      });
      const session = await w.roleSession('r');
      await rejects(
        w.iam.getUser(session, {}),
        'ValidationError',
        'Must specify userName when calling with non-User credentials',
      );
      await rejects(w.iam.createAccessKey(session, {}), 'ValidationError');
    },
  },
  {
    name: 'CreateAccessKey gives AKIA ids and 40-character secrets sealed in the store; a third key is LimitExceeded',
    async run(w) {
      const root = await w.root();
      await w.iam.createUser(root, { UserName: 'ci' });
      const one = (await w.iam.createAccessKey(root, { UserName: 'ci' })).AccessKey;
      assert.match(one.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
      assert.equal(one.SecretAccessKey.length, 40);
      assert.equal(one.Status, 'Active');
      assert.equal(one.UserName, 'ci');
      const stored = (await w.store.accessKeys.get(one.AccessKeyId))!;
      assert.notEqual(stored.secret, one.SecretAccessKey);
      assert.equal(w.box.unseal(stored.secret, one.AccessKeyId), one.SecretAccessKey);
      await w.iam.createAccessKey(root, { UserName: 'ci' });
      await rejects(
        w.iam.createAccessKey(root, { UserName: 'ci' }),
        'LimitExceeded',
        'Cannot exceed quota for AccessKeysPerUser: 2',
      );
      const listed = await w.iam.listAccessKeys(root, { UserName: 'ci' });
      assert.equal(listed.AccessKeyMetadata.length, 2);
      assert.ok(listed.AccessKeyMetadata.every((k) => !('SecretAccessKey' in k)));
      await w.iam.updateAccessKey(root, { UserName: 'ci', AccessKeyId: one.AccessKeyId, Status: 'Inactive' });
      assert.equal((await w.store.accessKeys.get(one.AccessKeyId))!.status, 'Inactive');
      await rejects(
        w.iam.updateAccessKey(root, { UserName: 'ci', AccessKeyId: one.AccessKeyId, Status: 'Paused' }),
        'ValidationError',
      );
      await rejects(
        w.iam.deleteUser(root, { UserName: 'ci' }),
        'DeleteConflict',
        'Cannot delete entity, must delete access keys first.',
      );
      await rejects(
        w.iam.deleteAccessKey(root, { AccessKeyId: one.AccessKeyId }),
        'NoSuchEntity',
        `The Access Key with id ${one.AccessKeyId} cannot be found.`,
      );
    },
  },
  {
    name: 'a user creates its own key without UserName; the root creates a root key',
    async run(w) {
      const me = await w.user('alice', [
        allow(['iam:CreateAccessKey', 'iam:ListAccessKeys'], `arn:aws:iam::${A}:user/alice`),
      ]);
      const mine = (await w.iam.createAccessKey(me, {})).AccessKey;
      assert.equal(mine.UserName, 'alice');
      const root = await w.root();
      const rootKey = (await w.iam.createAccessKey(root, {})).AccessKey;
      assert.equal(rootKey.UserName, undefined);
      assert.equal((await w.store.accessKeys.get(rootKey.AccessKeyId))!.userName, undefined);
      assert.deepEqual(
        (await w.iam.listAccessKeys(me, {})).AccessKeyMetadata.map((k) => k.AccessKeyId),
        [mine.AccessKeyId],
      );
    },
  },
  {
    name: 'DeleteUser is refused while inline or attached policies remain',
    async run(w) {
      const root = await w.root();
      await w.iam.createUser(root, { UserName: 'u' });
      await w.iam.putUserPolicy(root, { UserName: 'u', PolicyName: 'p', PolicyDocument: allow('ecr:*') });
      await rejects(
        w.iam.deleteUser(root, { UserName: 'u' }),
        'DeleteConflict',
        'Cannot delete entity, must delete policies first.',
      );
      await w.iam.deleteUserPolicy(root, { UserName: 'u', PolicyName: 'p' });
      await w.iam.attachUserPolicy(root, { UserName: 'u', PolicyArn: READ_ONLY });
      await rejects(
        w.iam.deleteUser(root, { UserName: 'u' }),
        'DeleteConflict',
        'Cannot delete entity, must detach all policies first.',
      );
      await w.iam.detachUserPolicy(root, { UserName: 'u', PolicyArn: READ_ONLY });
      await w.iam.deleteUser(root, { UserName: 'u' });
      await rejects(
        w.iam.deleteUserPolicy(root, { UserName: 'u', PolicyName: 'p' }),
        'NoSuchEntity',
        'The user with name u cannot be found.',
      );
    },
  },
  // ── tags ──
  {
    name: 'TagRole merges case-insensitively, UntagRole removes, ListRoleTags lists; limits hold',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, {
        RoleName: 'r',
        AssumeRolePolicyDocument: TRUST_EC2,
        Tags: [{ Key: 'team', Value: 'a' }],
      });
      await w.iam.tagRole(root, {
        RoleName: 'r',
        Tags: [
          { Key: 'Team', Value: 'b' },
          { Key: 'env', Value: 'prod' },
        ],
      });
      assert.deepEqual((await w.iam.listRoleTags(root, { RoleName: 'r' })).Tags, [
        { Key: 'Team', Value: 'b' },
        { Key: 'env', Value: 'prod' },
      ]);
      await w.iam.untagRole(root, { RoleName: 'r', TagKeys: ['TEAM', 'missing'] });
      assert.deepEqual((await w.iam.listRoleTags(root, { RoleName: 'r' })).Tags, [
        { Key: 'env', Value: 'prod' },
      ]);
      await rejects(
        w.iam.tagRole(root, {
          RoleName: 'r',
          Tags: [
            { Key: 'a', Value: '1' },
            { Key: 'A', Value: '2' },
          ],
        }),
        'InvalidInput',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
      const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      await rejects(w.iam.tagRole(root, { RoleName: 'r', Tags: many }), 'LimitExceeded');
      await rejects(
        w.iam.tagRole(root, { RoleName: 'r', Tags: [...many, { Key: 'x', Value: 'y' }] }),
        'ValidationError',
      );
      await rejects(
        w.iam.tagRole(root, { RoleName: 'r', Tags: [{ Key: 'k'.repeat(129), Value: '' }] }),
        'ValidationError',
      );
      await w.iam.createUser(root, { UserName: 'u' });
      await w.iam.tagUser(root, { UserName: 'u', Tags: [{ Key: 'cost', Value: '42' }] });
      assert.deepEqual((await w.iam.listUserTags(root, { UserName: 'u' })).Tags, [
        { Key: 'cost', Value: '42' },
      ]);
      await w.iam.untagUser(root, { UserName: 'u', TagKeys: ['cost'] });
      assert.deepEqual((await w.iam.listUserTags(root, { UserName: 'u' })).Tags, []);
    },
  },
  // ── instance profiles ──
  {
    name: 'instance profiles hold one role, list with their roles, and refuse deletion while a role is in them',
    async run(w) {
      const root = await w.root();
      await w.iam.createRole(root, {
        RoleName: 'RoleToUseCrossAccountECR',
        AssumeRolePolicyDocument: TRUST_EC2,
      });
      await w.iam.createRole(root, { RoleName: 'other', AssumeRolePolicyDocument: TRUST_EC2 });
      const { InstanceProfile } = await w.iam.createInstanceProfile(root, { InstanceProfileName: 'ec2' });
      assert.match(InstanceProfile.InstanceProfileId, /^AIPA/);
      assert.equal(InstanceProfile.Arn, `arn:aws:iam::${A}:instance-profile/ec2`);
      assert.deepEqual(InstanceProfile.Roles, []);
      await rejects(
        w.iam.createInstanceProfile(root, { InstanceProfileName: 'EC2' }),
        'EntityAlreadyExists',
        'Instance Profile EC2 already exists.',
      );
      await w.iam.addRoleToInstanceProfile(root, {
        InstanceProfileName: 'ec2',
        RoleName: 'RoleToUseCrossAccountECR',
      });
      await rejects(
        w.iam.addRoleToInstanceProfile(root, { InstanceProfileName: 'ec2', RoleName: 'other' }),
        'LimitExceeded',
        'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1',
      );
      const got = await w.iam.getInstanceProfile(root, { InstanceProfileName: 'ec2' });
      assert.deepEqual(
        got.InstanceProfile.Roles.map((r) => r.RoleName),
        ['RoleToUseCrossAccountECR'],
      );
      assert.equal(
        (await w.iam.listInstanceProfilesForRole(root, { RoleName: 'RoleToUseCrossAccountECR' }))
          .InstanceProfiles.length,
        1,
      );
      await rejects(
        w.iam.deleteInstanceProfile(root, { InstanceProfileName: 'ec2' }),
        'DeleteConflict',
        'Cannot delete entity, must remove roles from instance profile first.',
      );
      await rejects(
        w.iam.getInstanceProfile(root, { InstanceProfileName: 'nope' }),
        'NoSuchEntity',
        'Instance Profile nope cannot be found.',
      );
      await w.iam.removeRoleFromInstanceProfile(root, {
        InstanceProfileName: 'ec2',
        RoleName: 'RoleToUseCrossAccountECR',
      });
      await w.iam.deleteInstanceProfile(root, { InstanceProfileName: 'ec2' });
      assert.deepEqual((await w.iam.listInstanceProfiles(root, {})).InstanceProfiles, []);
    },
  },
  // ── permissions boundaries ──
  {
    name: 'permissions boundaries must name an existing policy and show on GetUser/GetRole',
    async run(w) {
      const root = await w.root();
      const missing = `arn:aws:iam::${A}:policy/missing`;
      await rejects(
        w.iam.createUser(root, { UserName: 'u', PermissionsBoundary: missing }),
        'NoSuchEntity',
        `Policy ${missing} does not exist or is not attachable.`,
      );
      await w.iam.createUser(root, { UserName: 'u' });
      await w.iam.putUserPermissionsBoundary(root, { UserName: 'u', PermissionsBoundary: READ_ONLY });
      assert.equal(
        (await w.iam.getUser(root, { UserName: 'u' })).User.PermissionsBoundary?.PermissionsBoundaryArn,
        READ_ONLY,
      );
      await w.iam.createRole(root, { RoleName: 'r', AssumeRolePolicyDocument: TRUST_EC2 });
      await w.iam.putRolePermissionsBoundary(root, { RoleName: 'r', PermissionsBoundary: POWER_USER });
      assert.equal(
        (await w.iam.getRole(root, { RoleName: 'r' })).Role.PermissionsBoundary?.PermissionsBoundaryArn,
        POWER_USER,
      );
      await w.iam.deleteRolePermissionsBoundary(root, { RoleName: 'r' });
      assert.equal((await w.iam.getRole(root, { RoleName: 'r' })).Role.PermissionsBoundary, undefined);
      await rejects(
        w.iam.putRolePermissionsBoundary(root, {
          RoleName: 'r',
          PermissionsBoundary: 'arn:aws:s3:::bucket/key',
        }),
        'InvalidInput',
      );
    },
  },
  // ── authorization ──
  {
    name: 'a user without iam permissions is AccessDenied, named as IAM names the resource',
    async run(w) {
      const dev = await w.user('dev');
      await rejects(
        w.iam.createRole(dev, { RoleName: 'X', AssumeRolePolicyDocument: TRUST_EC2 }),
        'AccessDenied',
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${A}:role/X because no identity-based policy allows the iam:CreateRole action`,
      );
      await w.iam.createRole(await w.root(), { RoleName: 'X', AssumeRolePolicyDocument: TRUST_EC2 });
      await rejects(
        w.iam.getRole(dev, { RoleName: 'X' }),
        'AccessDenied',
        `User: arn:aws:iam::${A}:user/dev is not authorized to perform: iam:GetRole on resource: role X because no identity-based policy allows the iam:GetRole action`,
      );
      await rejects(w.iam.getRole(dev, { RoleName: 'ghost' }), 'AccessDenied');
      await rejects(
        w.iam.listPolicies(dev, {}),
        'AccessDenied',
        /iam:ListPolicies on resource: policy path \/ because/,
      );
      await rejects(
        w.iam.listRoles(dev, {}),
        'AccessDenied',
        new RegExp(`iam:ListRoles on resource: arn:aws:iam::${A}:role/ because`),
      );
      await rejects(
        w.iam.createAccessKey(dev, {}),
        'AccessDenied',
        /iam:CreateAccessKey on resource: user dev because/,
      );
      assert.equal((await w.store.roles.list(A)).items.length, 1);
    },
  },
  {
    name: 'a user with a scoped identity policy may act on matching roles only',
    async run(w) {
      const root = await w.root();
      const ops = await w.user('ops', [
        allow(
          ['iam:CreateRole', 'iam:GetRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy'],
          `arn:aws:iam::${A}:role/app-*`,
        ),
        doc([
          {
            Effect: 'Deny',
            Action: 'iam:AttachRolePolicy',
            Resource: '*',
            Condition: {
              ArnNotLike: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistry*' },
            },
          },
        ]),
      ]);
      await w.iam.createRole(ops, { RoleName: 'app-1', AssumeRolePolicyDocument: TRUST_B });
      await w.iam.putRolePolicy(ops, { RoleName: 'app-1', PolicyName: 'p', PolicyDocument: allow('ecr:*') });
      await w.iam.attachRolePolicy(ops, { RoleName: 'app-1', PolicyArn: POWER_USER });
      await rejects(
        w.iam.attachRolePolicy(ops, {
          RoleName: 'app-1',
          PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
        'AccessDenied',
        /with an explicit deny in an identity-based policy/,
      );
      assert.equal((await w.iam.getRole(ops, { RoleName: 'app-1' })).Role.RoleName, 'app-1');
      await rejects(
        w.iam.createRole(ops, { RoleName: 'db-1', AssumeRolePolicyDocument: TRUST_EC2 }),
        'AccessDenied',
      );
      await w.iam.createRole(root, { RoleName: 'db-1', AssumeRolePolicyDocument: TRUST_EC2 });
      await rejects(w.iam.getRole(ops, { RoleName: 'db-1' }), 'AccessDenied');
    },
  },
  {
    name: 'request tags reach aws:RequestTag and aws:TagKeys conditions',
    async run(w) {
      const tagger = await w.user('tagger', [
        doc([
          {
            Effect: 'Allow',
            Action: 'iam:CreateRole',
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestTag/team': 'payments' } },
          },
        ]),
      ]);
      await w.iam.createRole(tagger, {
        RoleName: 'ok',
        AssumeRolePolicyDocument: TRUST_EC2,
        Tags: [{ Key: 'team', Value: 'payments' }],
      });
      await rejects(
        w.iam.createRole(tagger, {
          RoleName: 'no',
          AssumeRolePolicyDocument: TRUST_EC2,
          Tags: [{ Key: 'team', Value: 'x' }],
        }),
        'AccessDenied',
      );
    },
  },
  {
    name: 'IAM refuses GetSessionToken credentials without MFA',
    async run(w) {
      const root = await w.root();
      await w.iam.createUser(root, { UserName: 'u' });
      const user = (await w.store.users.get(A, 'u'))!;
      const caller = await w.caller(A, {
        kind: 'user-session',
        user,
        session: {
          accessKeyId: 'ASIAUSERSESSIONTEST1',
          secret: w.box.seal('x', 'ASIAUSERSESSIONTEST1'),
          sessionTokenHash: '00',
          accountId: A,
          principal: { type: 'User', userId: user.id, userName: 'u' },
          issuedAt: new Date(T0),
          expiresAt: new Date(T0 + 3600_000),
          sessionPolicyArns: [],
          tags: [],
          transitiveTagKeys: [],
          chained: false,
        },
      });
      await rejects(w.iam.listRoles(caller, {}), 'InvalidClientTokenId');
    },
  },
  {
    name: 'account aliases: create, list, replace, delete',
    async run(w) {
      const root = await w.root();
      await w.iam.createAccountAlias(root, { AccountAlias: 'team-a' });
      assert.deepEqual((await w.iam.listAccountAliases(root, {})).AccountAliases, ['team-a']);
      await rejects(
        w.iam.createAccountAlias(await w.root(B), { AccountAlias: 'team-a' }),
        'EntityAlreadyExists',
      );
      await rejects(w.iam.createAccountAlias(root, { AccountAlias: 'Bad_Alias' }), 'ValidationError');
      await w.iam.deleteAccountAlias(root, { AccountAlias: 'team-a' });
      assert.deepEqual((await w.iam.listAccountAliases(root, {})).AccountAliases, []);
    },
  },
];

describe('IamService', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const w = await World.create();
      await c.run(w);
    });
  }
});
