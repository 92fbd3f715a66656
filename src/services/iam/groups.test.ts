// IAM groups through IamService with the in-memory store, the real door (Authorizer) and engine:
// the group operations with AWS's codes, and an IAM user's permissions through its groups.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { principalOf, type Caller, type CallerIdentity } from '../../auth/caller.js';
import { PolicyCache } from '../../iam/index.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { Authorizer } from '../authz.js';
import { ServiceError } from '../errors.js';
import { IdFactory } from '../ids.js';
import { seededRandom, serviceDeps } from '../../../test/helpers/world.js';
import { IamService } from './index.js';

const A = '111111111111';
const B = '222222222222';
const T0 = Date.parse('2026-11-23T12:00:00.250Z');
const READ_ONLY = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/app`;

const allow = (action: string | string[], resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });
const deny = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });

async function world() {
  const deps = serviceDeps({
    clock: { now: () => T0 },
    ids: new IdFactory(seededRandom('groups')),
    box: SecretBox.fromKey(Buffer.alloc(32, 3)),
  });
  const { store, authz } = deps;
  const iam = new IamService(deps);
  for (const id of [A, B]) {
    await store.accounts.create({
      id,
      name: `acct-${id}`,
      email: `${id}@example.com`,
      status: 'ACTIVE',
      joinedMethod: 'CREATED',
      joinedAt: new Date(T0),
    });
  }
  const caller = async (accountId: string, identity: CallerIdentity): Promise<Caller> => {
    const account = (await store.accounts.get(accountId))!;
    return {
      principal: principalOf(account, identity),
      account,
      accessKeyId: 'AKIATESTTESTTESTTEST',
      identity,
      request: { sourceIp: '127.0.0.1', secure: false, region: 'us-east-1' },
    };
  };
  const root = (accountId = A) => caller(accountId, { kind: 'root' });
  /** The current record of a user as a caller (its groups are read at each decision). */
  const asUser = async (name: string, accountId = A) =>
    caller(accountId, { kind: 'user', user: (await store.users.get(accountId, name))! });
  const decide = async (who: Caller, action: string, resource = REPO) =>
    (await authz.check({ caller: who, action, resource })).decision;
  return { store, iam, authz, root, asUser, decide };
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ServiceError && e.code === code);
}

describe('IAM groups', () => {
  test('CreateGroup answers the group with an AGPA id and its ARN; names are unique case-insensitively', async () => {
    const w = await world();
    const root = await w.root();
    const { Group } = await w.iam.createGroup(root, { GroupName: 'Devs', Path: '/eng/' });
    assert.match(Group.GroupId, /^AGPA[A-Z2-7]{16}$/);
    assert.equal(Group.Arn, `arn:aws:iam::${A}:group/eng/Devs`);
    assert.equal(Group.Path, '/eng/');
    await rejectsCode(w.iam.createGroup(root, { GroupName: 'devs' }), 'EntityAlreadyExists');
    await rejectsCode(w.iam.createGroup(root, { GroupName: 'bad name' }), 'ValidationError');
    await rejectsCode(w.iam.createGroup(root, { GroupName: 'x', Path: 'nope' }), 'ValidationError');
    // Another account has its own namespace.
    await w.iam.createGroup(await w.root(B), { GroupName: 'Devs' });
  });

  test('GetGroup lists the members a page at a time; ListGroups filters by path prefix', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs', Path: '/eng/' });
    await w.iam.createGroup(root, { GroupName: 'Ops' });
    for (const u of ['carol', 'alice', 'bob']) {
      await w.iam.createUser(root, { UserName: u });
      await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: u });
    }
    await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'alice' });
    const first = await w.iam.getGroup(root, { GroupName: 'devs', MaxItems: 2 });
    assert.deepEqual(
      first.Users.map((u) => u.UserName),
      ['alice', 'bob'],
    );
    assert.equal(first.IsTruncated, true);
    const rest = await w.iam.getGroup(root, { GroupName: 'Devs', Marker: first.Marker! });
    assert.deepEqual(
      rest.Users.map((u) => u.UserName),
      ['carol'],
    );
    assert.equal(rest.IsTruncated, false);
    assert.deepEqual(
      (await w.iam.listGroups(root, {})).Groups.map((g) => g.GroupName),
      ['Devs', 'Ops'],
    );
    assert.deepEqual(
      (await w.iam.listGroups(root, { PathPrefix: '/eng/' })).Groups.map((g) => g.GroupName),
      ['Devs'],
    );
    assert.deepEqual(
      (await w.iam.listGroupsForUser(root, { UserName: 'alice' })).Groups.map((g) => g.GroupName),
      ['Devs'],
    );
    await rejectsCode(w.iam.getGroup(root, { GroupName: 'Ghost' }), 'NoSuchEntity');
    await rejectsCode(w.iam.getGroup(root, { GroupName: 'Devs', Marker: 'garbage' }), 'InvalidInput');
    await rejectsCode(w.iam.listGroupsForUser(root, { UserName: 'ghost' }), 'NoSuchEntity');
  });

  test('membership needs an existing group and user; removing a non-member changes nothing', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs' });
    await w.iam.createUser(root, { UserName: 'bob' });
    await rejectsCode(w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'ghost' }), 'NoSuchEntity');
    await rejectsCode(w.iam.addUserToGroup(root, { GroupName: 'Ghost', UserName: 'bob' }), 'NoSuchEntity');
    await w.iam.removeUserFromGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    await rejectsCode(
      w.iam.removeUserFromGroup(root, { GroupName: 'Devs', UserName: 'ghost' }),
      'NoSuchEntity',
    );
    await rejectsCode(
      w.iam.removeUserFromGroup(root, { GroupName: 'Ghost', UserName: 'bob' }),
      'NoSuchEntity',
    );
    await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    await w.iam.removeUserFromGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    assert.deepEqual((await w.iam.listGroupsForUser(root, { UserName: 'bob' })).Groups, []);
  });

  test('a user is in at most 10 groups (LimitExceeded)', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createUser(root, { UserName: 'bob' });
    for (let i = 0; i < 11; i++) await w.iam.createGroup(root, { GroupName: `g${i}` });
    for (let i = 0; i < 10; i++) await w.iam.addUserToGroup(root, { GroupName: `g${i}`, UserName: 'bob' });
    await rejectsCode(w.iam.addUserToGroup(root, { GroupName: 'g10', UserName: 'bob' }), 'LimitExceeded');
  });

  test('UpdateGroup renames and moves; the new name must be free', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs' });
    await w.iam.createGroup(root, { GroupName: 'Ops' });
    await w.iam.createUser(root, { UserName: 'bob' });
    await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    await rejectsCode(
      w.iam.updateGroup(root, { GroupName: 'Devs', NewGroupName: 'ops' }),
      'EntityAlreadyExists',
    );
    await w.iam.updateGroup(root, { GroupName: 'Devs', NewGroupName: 'Builders', NewPath: '/ci/' });
    const g = await w.iam.getGroup(root, { GroupName: 'Builders' });
    assert.equal(g.Group.Arn, `arn:aws:iam::${A}:group/ci/Builders`);
    assert.deepEqual(
      g.Users.map((u) => u.UserName),
      ['bob'],
    );
    await rejectsCode(w.iam.getGroup(root, { GroupName: 'Devs' }), 'NoSuchEntity');
  });

  test('DeleteGroup and DeleteUser answer DeleteConflict while members or policies remain', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs' });
    await w.iam.createUser(root, { UserName: 'bob' });
    await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    await rejectsCode(w.iam.deleteGroup(root, { GroupName: 'Devs' }), 'DeleteConflict');
    await rejectsCode(w.iam.deleteUser(root, { UserName: 'bob' }), 'DeleteConflict');
    await w.iam.removeUserFromGroup(root, { GroupName: 'Devs', UserName: 'bob' });
    await w.iam.putGroupPolicy(root, {
      GroupName: 'Devs',
      PolicyName: 'pull',
      PolicyDocument: allow('ecr:*'),
    });
    await rejectsCode(w.iam.deleteGroup(root, { GroupName: 'Devs' }), 'DeleteConflict');
    await w.iam.deleteGroupPolicy(root, { GroupName: 'Devs', PolicyName: 'pull' });
    await w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY });
    await rejectsCode(w.iam.deleteGroup(root, { GroupName: 'Devs' }), 'DeleteConflict');
    await w.iam.detachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY });
    await w.iam.deleteGroup(root, { GroupName: 'Devs' });
    await w.iam.deleteUser(root, { UserName: 'bob' });
    await rejectsCode(w.iam.deleteGroup(root, { GroupName: 'Devs' }), 'NoSuchEntity');
  });

  test('group inline policies: put, get (URL-encoded), list, delete, validation and size', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs' });
    const text = allow('ecr:BatchGetImage');
    await w.iam.putGroupPolicy(root, { GroupName: 'Devs', PolicyName: 'Pull', PolicyDocument: text });
    const got = await w.iam.getGroupPolicy(root, { GroupName: 'devs', PolicyName: 'pull' });
    assert.equal(decodeURIComponent(got.PolicyDocument), text);
    assert.deepEqual(got.GroupName, 'Devs');
    assert.deepEqual((await w.iam.listGroupPolicies(root, { GroupName: 'Devs' })).PolicyNames, ['Pull']);
    await rejectsCode(
      w.iam.putGroupPolicy(root, {
        GroupName: 'Devs',
        PolicyName: 'bad',
        PolicyDocument: '{"Statement":[]}',
      }),
      'MalformedPolicyDocument',
    );
    const big = allow(Array.from({ length: 500 }, (_, i) => `ecr:Action${i}`));
    await rejectsCode(
      w.iam.putGroupPolicy(root, { GroupName: 'Devs', PolicyName: 'big', PolicyDocument: big }),
      'LimitExceeded',
    );
    await rejectsCode(w.iam.getGroupPolicy(root, { GroupName: 'Devs', PolicyName: 'nope' }), 'NoSuchEntity');
    await rejectsCode(
      w.iam.deleteGroupPolicy(root, { GroupName: 'Devs', PolicyName: 'nope' }),
      'NoSuchEntity',
    );
    await rejectsCode(
      w.iam.putGroupPolicy(root, { GroupName: 'Ghost', PolicyName: 'p', PolicyDocument: text }),
      'NoSuchEntity',
    );
  });

  test('attached group policies: attach, list, quota of 10, detach, and ListEntitiesForPolicy', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs' });
    await w.iam.createUser(root, { UserName: 'bob' });
    await w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY });
    await w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY });
    await w.iam.attachUserPolicy(root, { UserName: 'bob', PolicyArn: READ_ONLY });
    assert.deepEqual((await w.iam.listAttachedGroupPolicies(root, { GroupName: 'Devs' })).AttachedPolicies, [
      { PolicyName: 'AmazonEC2ContainerRegistryReadOnly', PolicyArn: READ_ONLY },
    ]);
    const entities = await w.iam.listEntitiesForPolicy(root, { PolicyArn: READ_ONLY });
    assert.deepEqual(
      entities.PolicyGroups.map((g) => g.GroupName),
      ['Devs'],
    );
    assert.match(entities.PolicyGroups[0]!.GroupId, /^AGPA/);
    assert.deepEqual(
      entities.PolicyUsers.map((u) => u.UserName),
      ['bob'],
    );
    assert.deepEqual(entities.PolicyRoles, []);
    const onlyGroups = await w.iam.listEntitiesForPolicy(root, {
      PolicyArn: READ_ONLY,
      EntityFilter: 'Group',
    });
    assert.deepEqual(onlyGroups.PolicyUsers, []);
    assert.equal(onlyGroups.PolicyGroups.length, 1);
    // Another account sees none of A's entities.
    const other = await w.iam.listEntitiesForPolicy(await w.root(B), { PolicyArn: READ_ONLY });
    assert.deepEqual([other.PolicyGroups, other.PolicyUsers], [[], []]);
    for (let i = 0; i < 9; i++) {
      const { Policy } = await w.iam.createPolicy(root, {
        PolicyName: `p${i}`,
        PolicyDocument: allow('ecr:*'),
      });
      await w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: Policy.Arn });
    }
    const { Policy: extra } = await w.iam.createPolicy(root, {
      PolicyName: 'extra',
      PolicyDocument: allow('ecr:*'),
    });
    await rejectsCode(
      w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: extra.Arn }),
      'LimitExceeded',
    );
    await rejectsCode(
      w.iam.deletePolicy(root, { PolicyArn: `arn:aws:iam::${A}:policy/p0` }),
      'DeleteConflict',
    );
    await w.iam.detachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY });
    await rejectsCode(
      w.iam.detachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: READ_ONLY }),
      'NoSuchEntity',
    );
    await rejectsCode(
      w.iam.attachGroupPolicy(root, { GroupName: 'Devs', PolicyArn: 'arn:aws:iam::aws:policy/Nope' }),
      'NoSuchEntity',
    );
    await rejectsCode(
      w.iam.listEntitiesForPolicy(root, { PolicyArn: `arn:aws:iam::${A}:policy/nope` }),
      'NoSuchEntity',
    );
  });

  test("a user's permissions include its groups' inline and attached policies, and leave with it", async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createUser(root, { UserName: 'bob' });
    await w.iam.createGroup(root, { GroupName: 'Pullers' });
    await w.iam.createGroup(root, { GroupName: 'Readers' });
    await w.iam.putGroupPolicy(root, {
      GroupName: 'Pullers',
      PolicyName: 'pull',
      PolicyDocument: allow('ecr:BatchGetImage', REPO),
    });
    await w.iam.attachGroupPolicy(root, { GroupName: 'Readers', PolicyArn: READ_ONLY });
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:BatchGetImage'), 'ImplicitDeny');
    await w.iam.addUserToGroup(root, { GroupName: 'Pullers', UserName: 'bob' });
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:BatchGetImage'), 'Allow');
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:DescribeImages'), 'ImplicitDeny');
    await w.iam.addUserToGroup(root, { GroupName: 'Readers', UserName: 'bob' });
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:DescribeImages'), 'Allow');
    await w.iam.putGroupPolicy(root, {
      GroupName: 'Readers',
      PolicyName: 'nodescribe',
      PolicyDocument: deny('ecr:DescribeImages'),
    });
    const denied = await w.authz.check({
      caller: await w.asUser('bob'),
      action: 'ecr:DescribeImages',
      resource: REPO,
    });
    assert.equal(denied.decision, 'ExplicitDeny');
    assert.equal(denied.denial?.by, 'identity');
    await w.iam.removeUserFromGroup(root, { GroupName: 'Pullers', UserName: 'bob' });
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:BatchGetImage'), 'Allow'); // ReadOnly still
    await w.iam.removeUserFromGroup(root, { GroupName: 'Readers', UserName: 'bob' });
    assert.equal(await w.decide(await w.asUser('bob'), 'ecr:BatchGetImage'), 'ImplicitDeny');
  });

  test('group operations go through the door with the group ARN and IAM actions', async () => {
    const w = await world();
    const root = await w.root();
    await w.iam.createGroup(root, { GroupName: 'Devs', Path: '/eng/' });
    await w.iam.createUser(root, { UserName: 'admin' });
    await w.iam.putUserPolicy(root, {
      UserName: 'admin',
      PolicyName: 'groups',
      PolicyDocument: allow(['iam:GetGroup', 'iam:CreateGroup'], `arn:aws:iam::${A}:group/eng/*`),
    });
    const admin = await w.asUser('admin');
    await w.iam.getGroup(admin, { GroupName: 'Devs' });
    await w.iam.createGroup(admin, { GroupName: 'More', Path: '/eng/' });
    await assert.rejects(w.iam.createGroup(admin, { GroupName: 'Elsewhere' }), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.code, 'AccessDenied');
      assert.match(e.message, /iam:CreateGroup on resource: arn:aws:iam::111111111111:group\/Elsewhere/);
      return true;
    });
    await rejectsCode(w.iam.deleteGroup(admin, { GroupName: 'Devs' }), 'AccessDenied');
    await rejectsCode(w.iam.listGroups(admin, {}), 'AccessDenied');
    // A user granted a group permission through a group may use it.
    await w.iam.addUserToGroup(root, { GroupName: 'Devs', UserName: 'admin' });
    await w.iam.putGroupPolicy(root, {
      GroupName: 'Devs',
      PolicyName: 'list',
      PolicyDocument: allow('iam:ListGroups'),
    });
    assert.equal((await w.iam.listGroups(await w.asUser('admin'), {})).Groups.length, 2);
  });
});

describe("the door keeps a user's group policies while the store's change stamp stays equal", () => {
  test('a second decision reads no groups; a changed stamp reads them again', async () => {
    class StampedStore extends MemoryMetadataStore {
      stamp = 0;
      changeStamp(): string {
        return String(this.stamp);
      }
    }
    const store = new StampedStore();
    const clock = { now: () => T0 };
    const authz = new Authorizer({ store, cache: new PolicyCache(), clock });
    const iam = new IamService({
      store,
      authz,
      clock,
      ids: new IdFactory(seededRandom('stamped')),
      box: SecretBox.fromKey(Buffer.alloc(32, 3)),
      cache: new PolicyCache(),
      region: 'us-east-1',
    });
    await store.accounts.create({
      id: A,
      name: 'a',
      email: 'a@example.com',
      status: 'ACTIVE',
      joinedMethod: 'CREATED',
      joinedAt: new Date(T0),
    });
    const account = (await store.accounts.get(A))!;
    const rootIdentity = { kind: 'root' } as const;
    const root: Caller = {
      principal: principalOf(account, rootIdentity),
      account,
      accessKeyId: 'AKIATESTTESTTESTTEST',
      identity: rootIdentity,
      request: { sourceIp: '127.0.0.1', secure: false, region: 'us-east-1' },
    };
    await iam.createUser(root, { UserName: 'bob' });
    await iam.createGroup(root, { GroupName: 'Pullers' });
    await iam.addUserToGroup(root, { GroupName: 'Pullers', UserName: 'bob' });
    await iam.putGroupPolicy(root, {
      GroupName: 'Pullers',
      PolicyName: 'pull',
      PolicyDocument: allow('ecr:BatchGetImage', REPO),
    });
    let reads = 0;
    const groups = store.groups;
    const listForUser = groups.listForUser.bind(groups);
    Object.assign(groups, {
      listForUser: (...args: Parameters<typeof listForUser>) => {
        reads++;
        return listForUser(...args);
      },
    });
    const identity = { kind: 'user', user: (await store.users.get(A, 'bob'))! } as const;
    const bob: Caller = { ...root, principal: principalOf(account, identity), identity };
    const decide = async () =>
      (await authz.check({ caller: bob, action: 'ecr:BatchGetImage', resource: REPO })).decision;
    assert.equal(await decide(), 'Allow');
    assert.equal(await decide(), 'Allow');
    assert.equal(reads, 1);
    // A write moves the stamp (here by hand, as SQLite's would): the membership is read again.
    await store.groups.removeUser(A, 'Pullers', 'bob');
    assert.equal(await decide(), 'Allow', 'the kept value stands while the stamp is unchanged');
    store.stamp++;
    assert.equal(await decide(), 'ImplicitDeny');
    assert.equal(reads, 2);
  });
});
