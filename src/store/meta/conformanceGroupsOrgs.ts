/**
 * The IAM group and Organizations (OU, service control policy) cases of the one `MetadataStore`
 * conformance suite, registered by `runMetadataStoreSuite` so every driver runs them unchanged:
 * groups and memberships with their dependents, group inline policies and attachments, the tree of
 * organizational units, account placement, policies, attachments and enabled policy types.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { drain, rejectsWith, type WithStore } from './conformanceKit.js';
import type { Conflict } from './errors.js';
import type { MetadataStore } from './MetadataStore.js';
import type { Account, Group, Organization, OrgPolicy, PrincipalRef, User } from './records.js';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const T0 = new Date('2026-01-01T00:00:00.000Z');

let seq = 0;
const uid = (prefix: string): string => `${prefix}${String(++seq).padStart(16, '0')}`;

const user = (name: string, over: Partial<User> = {}): User => ({
  accountId: A,
  name,
  path: '/',
  id: uid('AIDA'),
  createdAt: T0,
  tags: [],
  ...over,
});

const group = (name: string, over: Partial<Group> = {}): Group => ({
  accountId: A,
  name,
  path: '/',
  id: uid('AGPA'),
  createdAt: T0,
  ...over,
});

const groupRef = (name: string, accountId = A): PrincipalRef => ({ kind: 'group', accountId, name });

const ORG = 'o-abcdefghij';
const ROOT = 'r-abcd';
const org: Organization = {
  id: ORG,
  rootId: ROOT,
  managementAccountId: A,
  featureSet: 'ALL',
  createdAt: T0,
};
const account = (id: string, over: Partial<Account> = {}): Account => ({
  id,
  name: `account ${id}`,
  email: `${id}@example.com`,
  status: 'ACTIVE',
  organizationId: ORG,
  joinedMethod: 'CREATED',
  joinedAt: T0,
  ...over,
});

const scp = (id: string, name: string, over: Partial<OrgPolicy> = {}): OrgPolicy => ({
  id,
  organizationId: ORG,
  type: 'SERVICE_CONTROL_POLICY',
  name,
  description: `about ${name}`,
  content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:*","Resource":"*","Sid":"${name}"}]}`,
  ...over,
});

async function orgWithAccounts(s: MetadataStore): Promise<void> {
  await s.organizations.create(org);
  for (const id of [A, B, C]) await s.accounts.create(account(id));
}

/** Registers the group and Organizations cases. */
export function registerGroupsOrgsCases(withStore: WithStore): void {
  describe('groups', () => {
    withStore('groups are created, read, renamed, listed by path and unique by name', async (s) => {
      const g = await s.groups.create(group('Devs', { path: '/team/' }));
      assert.deepEqual(await s.groups.get(A, 'devs'), g);
      assert.equal(await s.groups.get(B, 'Devs'), undefined);
      await rejectsWith(s.groups.create(group('DEVS')), 'AlreadyExists', (e) => e.entity === 'group');
      await rejectsWith(s.groups.create(group('Other', { id: g.id })), 'AlreadyExists');
      await s.groups.create(group('Admins'));
      await s.groups.create(group('Devs', { accountId: B }));
      assert.deepEqual(
        (await s.groups.list(A)).items.map((x) => x.name),
        ['Admins', 'Devs'],
      );
      assert.deepEqual(
        (await s.groups.list(A, { pathPrefix: '/team/' })).items.map((x) => x.name),
        ['Devs'],
      );
      const renamed = await s.groups.update(A, 'devs', { name: 'Developers', path: '/eng/' });
      assert.deepEqual(renamed, { ...g, name: 'Developers', path: '/eng/' });
      await rejectsWith(s.groups.update(A, 'Developers', { name: 'admins' }), 'AlreadyExists');
      await rejectsWith(s.groups.update(A, 'Devs', { path: '/x/' }), 'NotFound', (e) => e.entity === 'group');
      await s.groups.delete(A, 'developers');
      await rejectsWith(s.groups.delete(A, 'Developers'), 'NotFound');
    });

    withStore('members are added once, listed both ways by name and follow renames', async (s) => {
      await s.groups.create(group('Devs'));
      await s.groups.create(group('Admins'));
      await s.users.create(user('bob'));
      await s.users.create(user('Alice'));
      await s.groups.addUser(A, 'devs', 'BOB');
      await s.groups.addUser(A, 'Devs', 'bob');
      await s.groups.addUser(A, 'Devs', 'Alice');
      await s.groups.addUser(A, 'Admins', 'Alice');
      assert.deepEqual(
        (await s.groups.listUsers(A, 'Devs')).items.map((u) => u.name),
        ['Alice', 'bob'],
      );
      assert.deepEqual(
        (await s.groups.listForUser(A, 'alice')).items.map((g) => g.name),
        ['Admins', 'Devs'],
      );
      await s.users.update(A, 'bob', { name: 'Robert' });
      await s.groups.update(A, 'Devs', { name: 'Builders' });
      assert.deepEqual(
        (await s.groups.listUsers(A, 'Builders')).items.map((u) => u.name),
        ['Alice', 'Robert'],
      );
      assert.deepEqual(
        (await s.groups.listForUser(A, 'Robert')).items.map((g) => g.name),
        ['Builders'],
      );
      const size = 1;
      const walked = await drain(
        (m) => s.groups.listUsers(A, 'Builders', { maxItems: size, marker: m }),
        size,
      );
      assert.deepEqual(
        walked.map((u) => u.name),
        ['Alice', 'Robert'],
      );
      await s.groups.removeUser(A, 'builders', 'robert');
      await rejectsWith(
        s.groups.removeUser(A, 'Builders', 'Robert'),
        'NotFound',
        (e) => e.entity === 'groupMember',
      );
      assert.deepEqual((await s.groups.listForUser(A, 'Robert')).items, []);
    });

    withStore('membership calls need the group and the user of the same account', async (s) => {
      await s.groups.create(group('Devs'));
      await s.users.create(user('bob'));
      await s.users.create(user('carol', { accountId: B }));
      await rejectsWith(s.groups.addUser(A, 'Ghost', 'bob'), 'NotFound', (e) => e.entity === 'group');
      await rejectsWith(s.groups.addUser(A, 'Devs', 'carol'), 'NotFound', (e) => e.entity === 'user');
      await rejectsWith(s.groups.removeUser(A, 'Devs', 'ghost'), 'NotFound', (e) => e.entity === 'user');
      await rejectsWith(s.groups.listUsers(A, 'Ghost'), 'NotFound', (e) => e.entity === 'group');
      await rejectsWith(s.groups.listForUser(A, 'carol'), 'NotFound', (e) => e.entity === 'user');
    });

    withStore('a group with members or policies and a user in a group are not deleted', async (s) => {
      await s.groups.create(group('Devs'));
      await s.users.create(user('bob'));
      await s.groups.addUser(A, 'Devs', 'bob');
      await rejectsWith(
        s.groups.delete(A, 'Devs'),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasMembers',
      );
      await rejectsWith(s.users.delete(A, 'bob'), 'Conflict', (e) => (e as Conflict).reason === 'InGroups');
      await s.groups.removeUser(A, 'Devs', 'bob');
      await s.inlinePolicies.put(groupRef('Devs'), { name: 'pull', document: '{"g":1}' });
      await rejectsWith(
        s.groups.delete(A, 'Devs'),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasInlinePolicies',
      );
      await s.inlinePolicies.delete(groupRef('devs'), 'PULL');
      await s.attachments.attach(
        groupRef('Devs'),
        'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
      );
      await rejectsWith(
        s.groups.delete(A, 'Devs'),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasAttachedPolicies',
      );
      await s.attachments.detach(
        groupRef('Devs'),
        'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
      );
      await s.groups.delete(A, 'Devs');
      await s.users.delete(A, 'bob');
    });

    withStore('groups carry inline policies and attachments, listed for the policy', async (s) => {
      await s.groups.create(group('Devs'));
      await s.users.create(user('Devs'));
      await s.inlinePolicies.put(groupRef('Devs'), { name: 'Pull', document: '{"g":1}' });
      assert.deepEqual(await s.inlinePolicies.get(groupRef('devs'), 'pull'), {
        name: 'Pull',
        document: '{"g":1}',
      });
      assert.deepEqual((await s.inlinePolicies.list({ kind: 'user', accountId: A, name: 'Devs' })).items, []);
      const arn = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
      await s.attachments.attach(groupRef('Devs'), arn);
      await s.attachments.attach({ kind: 'user', accountId: A, name: 'Devs' }, arn);
      assert.deepEqual((await s.attachments.listForPrincipal(groupRef('DEVS'))).items, [arn]);
      assert.deepEqual((await s.attachments.listForPolicy(arn)).items, [
        groupRef('Devs'),
        { kind: 'user', accountId: A, name: 'Devs' },
      ]);
      assert.deepEqual((await s.attachments.listForPolicy(arn, { kind: 'group' })).items, [groupRef('Devs')]);
      await s.groups.update(A, 'Devs', { name: 'Builders' });
      assert.deepEqual((await s.attachments.listForPolicy(arn, { kind: 'group' })).items, [
        groupRef('Builders'),
      ]);
      await rejectsWith(
        s.inlinePolicies.put(groupRef('Ghost'), { name: 'p', document: '{}' }),
        'NotFound',
        (e) => e.entity === 'group',
      );
      await rejectsWith(
        s.attachments.attach(groupRef('Ghost'), arn),
        'NotFound',
        (e) => e.entity === 'group',
      );
    });

    withStore('a failed transaction leaves no group or membership behind', async (s) => {
      await s.users.create(user('bob'));
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.groups.create(group('Devs'));
          await tx.groups.addUser(A, 'Devs', 'bob');
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await s.groups.get(A, 'Devs'), undefined);
      assert.deepEqual((await s.groups.listForUser(A, 'bob')).items, []);
    });

    withStore('groups and memberships survive close and reopen', async (s0, h, t) => {
      if (h.reopen === undefined) {
        t.skip('this driver keeps nothing across close, so there is nothing to reopen');
        return;
      }
      const g = await s0.groups.create(group('Devs', { path: '/a/' }));
      await s0.users.create(user('bob'));
      await s0.groups.addUser(A, 'Devs', 'bob');
      await s0.inlinePolicies.put(groupRef('Devs'), { name: 'p', document: '{}' });
      const s = await h.reopen();
      assert.deepEqual(await s.groups.get(A, 'Devs'), g);
      assert.deepEqual(
        (await s.groups.listUsers(A, 'Devs')).items.map((u) => u.name),
        ['bob'],
      );
      assert.equal((await s.inlinePolicies.list(groupRef('Devs'))).items.length, 1);
    });
  });

  describe('organizational units and service control policies', () => {
    withStore('OUs form a tree under the root with names unique among siblings', async (s) => {
      await orgWithAccounts(s);
      const eng = await s.organizationalUnits.create({
        id: 'ou-abcd-11111111',
        organizationId: ORG,
        parentId: ROOT,
        name: 'Eng',
      });
      await s.organizationalUnits.create({
        id: 'ou-abcd-22222222',
        organizationId: ORG,
        parentId: ROOT,
        name: 'Admin',
      });
      await s.organizationalUnits.create({
        id: 'ou-abcd-33333333',
        organizationId: ORG,
        parentId: eng.id,
        name: 'Eng',
      });
      await rejectsWith(
        s.organizationalUnits.create({
          id: 'ou-abcd-44444444',
          organizationId: ORG,
          parentId: ROOT,
          name: 'ENG',
        }),
        'AlreadyExists',
        (e) => e.entity === 'organizationalUnit',
      );
      await rejectsWith(
        s.organizationalUnits.create({
          id: 'ou-abcd-55555555',
          organizationId: ORG,
          parentId: 'ou-abcd-99999999',
          name: 'X',
        }),
        'NotFound',
        (e) => e.entity === 'organizationalUnit',
      );
      await rejectsWith(
        s.organizationalUnits.create({
          id: 'ou-abcd-66666666',
          organizationId: 'o-zzzzzzzzzz',
          parentId: ROOT,
          name: 'X',
        }),
        'NotFound',
        (e) => e.entity === 'organization',
      );
      assert.deepEqual(await s.organizationalUnits.get(eng.id), eng);
      assert.deepEqual(
        (await s.organizationalUnits.list(ROOT)).items.map((o) => o.name),
        ['Admin', 'Eng'],
      );
      assert.deepEqual(
        (await s.organizationalUnits.list(eng.id)).items.map((o) => o.id),
        ['ou-abcd-33333333'],
      );
      await rejectsWith(s.organizationalUnits.update('ou-abcd-22222222', { name: 'eng' }), 'AlreadyExists');
      assert.equal((await s.organizationalUnits.update('ou-abcd-22222222', { name: 'Ops' })).name, 'Ops');
      await rejectsWith(
        s.organizationalUnits.delete(eng.id),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasChildren',
      );
      await s.organizationalUnits.delete('ou-abcd-33333333');
      await s.organizationalUnits.delete(eng.id);
      await rejectsWith(s.organizationalUnits.delete(eng.id), 'NotFound');
      assert.equal(await s.organizationalUnits.get(eng.id), undefined);
    });

    withStore('accounts sit under the root until moved, and an OU with accounts stays', async (s) => {
      await orgWithAccounts(s);
      await s.accounts.create(account('444444444444', { organizationId: undefined }));
      const ou = { id: 'ou-abcd-11111111', organizationId: ORG, parentId: ROOT, name: 'Eng' };
      await s.organizationalUnits.create(ou);
      assert.equal(await s.organizationalUnits.parentOf(B), ROOT);
      assert.deepEqual((await s.organizationalUnits.listAccounts(ORG, ROOT)).items, [A, B, C]);
      await s.organizationalUnits.moveAccount(B, ou.id);
      assert.equal(await s.organizationalUnits.parentOf(B), ou.id);
      assert.deepEqual((await s.organizationalUnits.listAccounts(ORG, ROOT)).items, [A, C]);
      assert.deepEqual((await s.organizationalUnits.listAccounts(ORG, ou.id)).items, [B]);
      await rejectsWith(
        s.organizationalUnits.delete(ou.id),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasChildren',
      );
      await rejectsWith(s.organizationalUnits.moveAccount(C, 'ou-abcd-99999999'), 'NotFound');
      await rejectsWith(s.organizationalUnits.moveAccount('444444444444', ROOT), 'NotFound');
      await rejectsWith(
        s.organizationalUnits.parentOf('555555555555'),
        'NotFound',
        (e) => e.entity === 'account',
      );
      await s.organizationalUnits.moveAccount(B, ROOT);
      assert.deepEqual((await s.organizationalUnits.listAccounts(ORG, ROOT)).items, [A, B, C]);
      const walked = await drain(
        (m) => s.organizationalUnits.listAccounts(ORG, ROOT, { maxItems: 2, marker: m }),
        2,
      );
      assert.deepEqual(walked, [A, B, C]);
      await s.organizationalUnits.delete(ou.id);
    });

    withStore('policies are unique by name, updated, attached once and kept while attached', async (s) => {
      await orgWithAccounts(s);
      const deny = await s.orgPolicies.create(scp('p-deny0001', 'DenyEcr'));
      assert.deepEqual(await s.orgPolicies.get('p-deny0001'), deny);
      await rejectsWith(
        s.orgPolicies.create(scp('p-other001', 'denyecr')),
        'AlreadyExists',
        (e) => e.entity === 'orgPolicy',
      );
      await rejectsWith(s.orgPolicies.create(scp('p-deny0001', 'Other')), 'AlreadyExists');
      await s.orgPolicies.create(scp('p-allow001', 'Allow'));
      assert.deepEqual(
        (await s.orgPolicies.list(ORG)).items.map((p) => p.name),
        ['Allow', 'DenyEcr'],
      );
      assert.deepEqual(
        (await s.orgPolicies.list(ORG, { type: 'SERVICE_CONTROL_POLICY', maxItems: 1 })).items.map(
          (p) => p.name,
        ),
        ['Allow'],
      );
      const updated = await s.orgPolicies.update('p-deny0001', { description: '', content: '{}' });
      assert.deepEqual(updated, { ...deny, description: '', content: '{}' });
      await rejectsWith(s.orgPolicies.update('p-deny0001', { name: 'ALLOW' }), 'AlreadyExists');
      await rejectsWith(s.orgPolicies.update('p-nothere1', { name: 'x' }), 'NotFound');

      await s.orgPolicies.attach('p-deny0001', B);
      await s.orgPolicies.attach('p-FullAWSAccess', B);
      await s.orgPolicies.attach('p-FullAWSAccess', ROOT);
      await rejectsWith(
        s.orgPolicies.attach('p-deny0001', B),
        'AlreadyExists',
        (e) => e.entity === 'orgPolicyAttachment',
      );
      assert.deepEqual((await s.orgPolicies.listForTarget(B)).items, ['p-FullAWSAccess', 'p-deny0001']);
      assert.deepEqual((await s.orgPolicies.listTargets('p-FullAWSAccess')).items, [B, ROOT]);
      await rejectsWith(
        s.orgPolicies.delete('p-deny0001'),
        'Conflict',
        (e) => (e as Conflict).reason === 'HasAttachments',
      );
      await s.orgPolicies.detach('p-deny0001', B);
      await rejectsWith(
        s.orgPolicies.detach('p-deny0001', B),
        'NotFound',
        (e) => e.entity === 'orgPolicyAttachment',
      );
      await s.orgPolicies.delete('p-deny0001');
      await rejectsWith(s.orgPolicies.delete('p-deny0001'), 'NotFound');
    });

    withStore('deleting an OU drops its attachments; policy types are enabled per root', async (s) => {
      await orgWithAccounts(s);
      await s.organizationalUnits.create({
        id: 'ou-abcd-11111111',
        organizationId: ORG,
        parentId: ROOT,
        name: 'Eng',
      });
      await s.orgPolicies.attach('p-FullAWSAccess', 'ou-abcd-11111111');
      await s.organizationalUnits.delete('ou-abcd-11111111');
      assert.deepEqual((await s.orgPolicies.listForTarget('ou-abcd-11111111')).items, []);
      assert.deepEqual(await s.orgPolicies.enabledTypes(ROOT), []);
      await s.orgPolicies.setTypeEnabled(ROOT, 'SERVICE_CONTROL_POLICY', true);
      await s.orgPolicies.setTypeEnabled(ROOT, 'SERVICE_CONTROL_POLICY', true);
      assert.deepEqual(await s.orgPolicies.enabledTypes(ROOT), ['SERVICE_CONTROL_POLICY']);
      assert.deepEqual(await s.orgPolicies.enabledTypes('r-zzzz'), []);
      await s.orgPolicies.setTypeEnabled(ROOT, 'SERVICE_CONTROL_POLICY', false);
      assert.deepEqual(await s.orgPolicies.enabledTypes(ROOT), []);
    });

    withStore('the organization tree and its policies survive close and reopen', async (s0, h, t) => {
      if (h.reopen === undefined) {
        t.skip('this driver keeps nothing across close, so there is nothing to reopen');
        return;
      }
      await orgWithAccounts(s0);
      await s0.organizationalUnits.create({
        id: 'ou-abcd-11111111',
        organizationId: ORG,
        parentId: ROOT,
        name: 'Eng',
      });
      await s0.organizationalUnits.moveAccount(B, 'ou-abcd-11111111');
      await s0.orgPolicies.create(scp('p-deny0001', 'DenyEcr'));
      await s0.orgPolicies.attach('p-deny0001', 'ou-abcd-11111111');
      await s0.orgPolicies.setTypeEnabled(ROOT, 'SERVICE_CONTROL_POLICY', true);
      const s = await h.reopen();
      assert.equal(await s.organizationalUnits.parentOf(B), 'ou-abcd-11111111');
      assert.equal((await s.orgPolicies.get('p-deny0001'))?.name, 'DenyEcr');
      assert.deepEqual((await s.orgPolicies.listForTarget('ou-abcd-11111111')).items, ['p-deny0001']);
      assert.deepEqual(await s.orgPolicies.enabledTypes(ROOT), ['SERVICE_CONTROL_POLICY']);
    });
  });
}
