/**
 * The one conformance suite of `MetadataStore`: every driver (memory, SQLite, a future
 * PostgreSQL) runs it unchanged, so services can rely on the interface alone. A driver's test is
 * `runMetadataStoreSuite('sqlite', makeSqlite)`. Each case gets a fresh store from `make`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drain, rejectsWith, type MetadataStoreHarness, type WithStore } from './conformanceKit.js';
import { registerEcrCases } from './conformanceEcr.js';
import { registerGroupsOrgsCases } from './conformanceGroupsOrgs.js';
import { registerSecretsCases } from './conformanceSecrets.js';
import { AlreadyExists, InvalidMarker, type Conflict } from './errors.js';
import type { MetadataStore, MetadataTx } from './MetadataStore.js';
import type { Page } from './pagination.js';
import type {
  AccessKey,
  Account,
  CreateAccountRequest,
  NewInstanceProfile,
  NewManagedPolicy,
  Organization,
  PrincipalRef,
  Role,
  StsSession,
  User,
} from './records.js';
import { hashSessionToken, SecretBox, sessionTokenMatches, type SealedSecret } from './secrets.js';
import { StoreMisuse } from './txScope.js';

export type { MetadataStoreHarness } from './conformanceKit.js';

/**
 * The harness of a driver that persists: `open` opens the same data each time, `removeData`
 * deletes it. Keeps each driver's test to a few lines.
 */
export async function persistentHarness(
  open: () => Promise<MetadataStore>,
  removeData: () => Promise<void>,
): Promise<MetadataStoreHarness> {
  let current = await open();
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await open();
      return current;
    },
    async cleanup() {
      await current.close();
      await removeData();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const A = '111111111111';
const B = '222222222222';
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const box = SecretBox.fromKey(Buffer.alloc(32, 7));
const seal = (id: string): SealedSecret => box.seal(`secret-of-${id}-abcdefghijklmnopqrstuvwxyz`, id);

const org = (over: Partial<Organization> = {}): Organization => ({
  id: 'o-abcdefghij',
  rootId: 'r-abcd',
  managementAccountId: A,
  featureSet: 'ALL',
  createdAt: T0,
  ...over,
});

const account = (id: string, over: Partial<Account> = {}): Account => ({
  id,
  name: `account ${id}`,
  email: `${id}@example.com`,
  status: 'ACTIVE',
  joinedMethod: 'CREATED',
  joinedAt: T0,
  ...over,
});

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

const role = (name: string, over: Partial<Role> = {}): Role => ({
  accountId: A,
  name,
  path: '/',
  id: uid('AROA'),
  createdAt: T0,
  assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
  maxSessionDuration: 3600,
  tags: [],
  ...over,
});

const accessKey = (over: Partial<AccessKey> = {}): AccessKey => {
  const id = over.id ?? uid('AKIA');
  return { id, accountId: A, status: 'Active', secret: seal(id), createdAt: T0, ...over };
};

const policy = (name: string, over: Partial<NewManagedPolicy> = {}): NewManagedPolicy => {
  const accountId = over.accountId ?? A;
  const path = over.path ?? '/';
  return {
    accountId,
    name,
    path,
    id: uid('ANPA'),
    arn: `arn:aws:iam::${accountId}:policy${path}${name}`,
    createdAt: T0,
    tags: [],
    document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*","Sid":"${name}"}]}`,
    ...over,
  };
};

const profile = (name: string, over: Partial<NewInstanceProfile> = {}): NewInstanceProfile => ({
  accountId: A,
  name,
  path: '/',
  id: uid('AIPA'),
  createdAt: T0,
  tags: [],
  ...over,
});

const session = (over: Partial<StsSession> = {}): StsSession => {
  const id = over.accessKeyId ?? uid('ASIA');
  return {
    accessKeyId: id,
    secret: seal(id),
    sessionTokenHash: hashSessionToken(`token-${id}`),
    accountId: A,
    principal: {
      type: 'AssumedRole',
      roleId: 'AROA00000000000000001',
      roleName: 'Deployer',
      sessionName: 'ci',
    },
    issuedAt: T0,
    expiresAt: at(60),
    sessionPolicyArns: [],
    tags: [],
    transitiveTagKeys: [],
    chained: false,
    ...over,
  };
};

const userRef = (name: string, accountId = A): PrincipalRef => ({ kind: 'user', accountId, name });
const roleRef = (name: string, accountId = A): PrincipalRef => ({ kind: 'role', accountId, name });

const names = (p: Page<{ name: string }>): string[] => p.items.map((x) => x.name);

// ---------------------------------------------------------------------------------------------

/** Registers the conformance cases for one driver under `describe(name)`. */
export function runMetadataStoreSuite(name: string, make: () => Promise<MetadataStoreHarness>): void {
  const withStore: WithStore = (title, body) => {
    test(title, async (t) => {
      const h = await make();
      try {
        await body(h.store, h, t);
      } finally {
        await h.cleanup();
      }
    });
  };

  describe(`MetadataStore conformance: ${name}`, () => {
    describe('organizations and accounts', () => {
      withStore('an organization is created, read, listed and deleted', async (s) => {
        assert.deepEqual(await s.organizations.create(org()), org());
        assert.deepEqual(await s.organizations.get('o-abcdefghij'), org());
        assert.equal(await s.organizations.get('o-zzzzzzzzzz'), undefined);
        await rejectsWith(s.organizations.create(org()), 'AlreadyExists');
        assert.deepEqual((await s.organizations.list()).items, [org()]);
        await s.accounts.create(account(A, { organizationId: 'o-abcdefghij' }));
        await rejectsWith(
          s.organizations.delete('o-abcdefghij'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasAccounts',
        );
        await s.accounts.update(A, { organizationId: null });
        await s.organizations.delete('o-abcdefghij');
        await rejectsWith(s.organizations.delete('o-abcdefghij'), 'NotFound');
      });

      withStore('accounts keep every field and are unique by id, email and alias', async (s) => {
        const a = account(A, { alias: 'Prod', organizationId: 'o-abcdefghij' });
        assert.deepEqual(await s.accounts.create(a), a);
        assert.deepEqual(await s.accounts.get(A), a);
        assert.deepEqual(await s.accounts.getByAlias('pROD'), a);
        await rejectsWith(
          s.accounts.create(account(A, { email: 'x@example.com' })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'id',
        );
        await rejectsWith(
          s.accounts.create(account(B, { email: `${A}@EXAMPLE.com` })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'email',
        );
        await rejectsWith(
          s.accounts.create(account(B, { alias: 'prod' })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'alias',
        );
        await s.accounts.create(account(B));
        assert.equal((await s.accounts.get(B))?.alias, undefined);
        await rejectsWith(s.accounts.update(B, { alias: 'PROD' }), 'AlreadyExists');
        const updated = await s.accounts.update(A, { alias: null, status: 'SUSPENDED', name: 'renamed' });
        assert.deepEqual(updated, {
          ...account(A, { organizationId: 'o-abcdefghij' }),
          status: 'SUSPENDED',
          name: 'renamed',
        });
        assert.deepEqual(await s.accounts.get(A), updated);
        assert.equal(await s.accounts.getByAlias('prod'), undefined);
        await rejectsWith(s.accounts.update('999999999999', { name: 'x' }), 'NotFound');
        assert.deepEqual(
          (await s.accounts.list()).items.map((x) => x.id),
          [A, B],
        );
        assert.deepEqual(
          (await s.accounts.list({ organizationId: 'o-abcdefghij' })).items.map((x) => x.id),
          [A],
        );
      });

      withStore('create-account requests move from IN_PROGRESS to a final state', async (s) => {
        const r: CreateAccountRequest = {
          id: 'car-0123456789abcdef',
          organizationId: 'o-abcdefghij',
          accountName: 'CI',
          email: 'ci@example.com',
          state: 'IN_PROGRESS',
          requestedAt: T0,
        };
        assert.deepEqual(await s.createAccountRequests.create(r), r);
        await rejectsWith(s.createAccountRequests.create(r), 'AlreadyExists');
        const failed: CreateAccountRequest = {
          ...r,
          id: 'car-ffffffffffffffff',
          state: 'FAILED',
          failureReason: 'EMAIL_ALREADY_EXISTS',
          completedAt: at(1),
        };
        await s.createAccountRequests.create(failed);
        const done = await s.createAccountRequests.update(r.id, {
          state: 'SUCCEEDED',
          accountId: B,
          completedAt: at(2),
        });
        assert.deepEqual(done, { ...r, state: 'SUCCEEDED', accountId: B, completedAt: at(2) });
        assert.deepEqual(await s.createAccountRequests.get(r.id), done);
        assert.equal(await s.createAccountRequests.get('car-nothing'), undefined);
        await rejectsWith(s.createAccountRequests.update('car-nothing', { state: 'FAILED' }), 'NotFound');
        assert.deepEqual((await s.createAccountRequests.list({ states: ['FAILED'] })).items, [failed]);
        assert.equal((await s.createAccountRequests.list({ organizationId: 'o-other' })).items.length, 0);
        assert.equal((await s.createAccountRequests.list()).items.length, 2);
      });
    });

    describe('users and roles', () => {
      withStore('a user round-trips every field and is found case-insensitively', async (s) => {
        const u = user('Alice', {
          path: '/eng/',
          permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/Boundary',
          tags: [
            { key: 'team', value: 'ci' },
            { key: 'a', value: '' },
          ],
        });
        assert.deepEqual(await s.users.create(u), u);
        assert.deepEqual(await s.users.get(A, 'alice'), u);
        assert.deepEqual(await s.users.get(A, 'ALICE'), u);
        assert.deepEqual(await s.users.getById(u.id), u);
        assert.equal(await s.users.get(B, 'Alice'), undefined, 'names are per account');
        assert.equal(await s.users.getById('AIDANOTHERE'), undefined);
      });

      withStore('user names are unique per account, case-insensitively; ids are unique', async (s) => {
        const u = await s.users.create(user('Alice'));
        await rejectsWith(
          s.users.create(user('aLiCe')),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'name' && e.entity === 'user',
        );
        await rejectsWith(
          s.users.create(user('Bob', { id: u.id })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'id',
        );
        await s.users.create(user('alice', { accountId: B }));
        assert.equal((await s.users.list(A)).items.length, 1);
      });

      withStore('a user is renamed, moved, re-tagged and loses its boundary', async (s) => {
        const u = await s.users.create(
          user('Alice', { permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/B' }),
        );
        await s.users.create(user('Bob'));
        await rejectsWith(s.users.update(A, 'alice', { name: 'BOB' }), 'AlreadyExists');
        assert.equal(
          (await s.users.update(A, 'alice', { name: 'ALICE' })).name,
          'ALICE',
          'a case-only rename is allowed',
        );
        const next = await s.users.update(A, 'Alice', {
          name: 'Carol',
          path: '/ops/',
          permissionsBoundaryArn: null,
          tags: [{ key: 'k', value: 'v' }],
        });
        assert.deepEqual(next, {
          accountId: A,
          name: 'Carol',
          path: '/ops/',
          id: u.id,
          createdAt: T0,
          tags: [{ key: 'k', value: 'v' }],
        });
        assert.equal(await s.users.get(A, 'Alice'), undefined);
        assert.deepEqual(await s.users.get(A, 'carol'), next);
        assert.deepEqual(await s.users.update(A, 'carol', {}), next);
        await rejectsWith(s.users.update(A, 'nobody', { path: '/' }), 'NotFound');
      });

      withStore('a user with keys, inline or attached policies cannot be deleted', async (s) => {
        await s.users.create(user('Alice'));
        const k = await s.accessKeys.create(accessKey({ userName: 'Alice' }));
        await rejectsWith(
          s.users.delete(A, 'alice'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasAccessKeys',
        );
        await s.accessKeys.delete(k.id);
        await s.inlinePolicies.put(userRef('Alice'), { name: 'p', document: '{}' });
        await rejectsWith(
          s.users.delete(A, 'alice'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasInlinePolicies',
        );
        await s.inlinePolicies.delete(userRef('alice'), 'P');
        await s.attachments.attach(
          userRef('Alice'),
          'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
        );
        await rejectsWith(
          s.users.delete(A, 'alice'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasAttachedPolicies',
        );
        await s.attachments.detach(
          userRef('Alice'),
          'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
        );
        await s.users.delete(A, 'ALICE');
        assert.equal(await s.users.get(A, 'Alice'), undefined);
        await rejectsWith(s.users.delete(A, 'Alice'), 'NotFound', (e) => e.entity === 'user');
      });

      withStore('a role round-trips every field and is updated field by field', async (s) => {
        const r = role('Deployer', {
          path: '/ci/',
          description: 'pushes images',
          maxSessionDuration: 7200,
          permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/B',
          tags: [{ key: 'env', value: 'prod' }],
        });
        assert.deepEqual(await s.roles.create(r), r);
        assert.deepEqual(await s.roles.get(A, 'deployer'), r);
        assert.deepEqual(await s.roles.getById(r.id), r);
        await rejectsWith(
          s.roles.create(role('DEPLOYER')),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'name',
        );
        const trust =
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
        const u1 = await s.roles.update(A, 'deployer', {
          assumeRolePolicyDocument: trust,
          maxSessionDuration: 43200,
          lastUsed: { at: at(5), region: 'eu-west-1' },
        });
        assert.deepEqual(u1, {
          ...r,
          assumeRolePolicyDocument: trust,
          maxSessionDuration: 43200,
          lastUsed: { at: at(5), region: 'eu-west-1' },
        });
        const u2 = await s.roles.update(A, 'Deployer', {
          description: null,
          permissionsBoundaryArn: null,
          tags: [],
          lastUsed: null,
        });
        const { description: _d, permissionsBoundaryArn: _p, lastUsed: _l, ...bare } = u1;
        assert.deepEqual(u2, { ...bare, tags: [] });
        assert.deepEqual(await s.roles.get(A, 'Deployer'), u2);
        await rejectsWith(
          s.roles.update(A, 'Nobody', { description: 'x' }),
          'NotFound',
          (e) => e.entity === 'role',
        );
      });

      withStore("a role's trust policy bindings round-trip, are replaced whole and cleared", async (s) => {
        const bound = {
          'arn:aws:iam::222222222222:user/ci': 'AIDAEXAMPLE1',
          'arn:aws:iam::111111111111:role/a/b': 'AROAEXAMPLE2',
        };
        const r = role('Bound', { trustPrincipals: bound });
        assert.deepEqual(await s.roles.create(r), r);
        assert.deepEqual((await s.roles.get(A, 'bound'))?.trustPrincipals, bound);
        const next = { 'arn:aws:iam::333333333333:role/x': 'AROAEXAMPLE3' };
        const u1 = await s.roles.update(A, 'Bound', { trustPrincipals: next, description: 'd' });
        assert.deepEqual(u1.trustPrincipals, next);
        assert.deepEqual((await s.roles.getById(r.id))?.trustPrincipals, next);
        const u2 = await s.roles.update(A, 'Bound', { description: 'e' });
        assert.deepEqual(u2.trustPrincipals, next, 'a patch without bindings keeps them');
        const u3 = await s.roles.update(A, 'Bound', { trustPrincipals: null });
        assert.equal(u3.trustPrincipals, undefined);
        assert.equal((await s.roles.get(A, 'Bound'))?.trustPrincipals, undefined);
      });

      withStore('a role in a profile or with policies cannot be deleted', async (s) => {
        await s.roles.create(role('R'));
        await s.instanceProfiles.create(profile('P'));
        await s.instanceProfiles.addRole(A, 'P', 'R');
        await rejectsWith(
          s.roles.delete(A, 'r'),
          'Conflict',
          (e) => (e as Conflict).reason === 'InInstanceProfiles',
        );
        await s.instanceProfiles.removeRole(A, 'p', 'r');
        await s.inlinePolicies.put(roleRef('R'), { name: 'inline', document: '{}' });
        await rejectsWith(
          s.roles.delete(A, 'R'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasInlinePolicies',
        );
        await s.inlinePolicies.delete(roleRef('R'), 'inline');
        await s.attachments.attach(roleRef('R'), 'arn:aws:iam::111111111111:policy/X');
        await rejectsWith(
          s.roles.delete(A, 'R'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasAttachedPolicies',
        );
        await s.attachments.detach(roleRef('R'), 'arn:aws:iam::111111111111:policy/X');
        await s.roles.delete(A, 'R');
        assert.equal(await s.roles.get(A, 'R'), undefined);
        await rejectsWith(s.roles.delete(A, 'R'), 'NotFound');
      });
    });

    describe('access keys', () => {
      withStore('keys of users and of the root are kept apart and follow a rename', async (s) => {
        await s.users.create(user('Alice'));
        const uk = accessKey({ userName: 'Alice' });
        const rk = accessKey({ accountId: A });
        assert.deepEqual(await s.accessKeys.create(uk), uk);
        assert.deepEqual(await s.accessKeys.create(rk), rk);
        assert.deepEqual(await s.accessKeys.get(uk.id), uk);
        assert.deepEqual((await s.accessKeys.list({ accountId: A, userName: 'ALICE' })).items, [uk]);
        assert.deepEqual((await s.accessKeys.list({ accountId: A })).items, [rk]);
        assert.deepEqual((await s.accessKeys.list({ accountId: B })).items, []);
        await s.users.update(A, 'Alice', { name: 'Alicia' });
        assert.equal((await s.accessKeys.get(uk.id))?.userName, 'Alicia');
        await rejectsWith(
          s.accessKeys.list({ accountId: A, userName: 'Alice' }),
          'NotFound',
          (e) => e.entity === 'user',
        );
      });

      withStore('a key needs its user, and ids are unique', async (s) => {
        await rejectsWith(
          s.accessKeys.create(accessKey({ userName: 'Ghost' })),
          'NotFound',
          (e) => e.entity === 'user',
        );
        const k = await s.accessKeys.create(accessKey());
        await rejectsWith(
          s.accessKeys.create(accessKey({ id: k.id, accountId: B })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'id',
        );
      });

      withStore('a key is deactivated, marked used and deleted', async (s) => {
        const k = await s.accessKeys.create(accessKey());
        const lastUsed = { at: at(3), service: 'sts', region: 'us-east-1' };
        assert.deepEqual(await s.accessKeys.update(k.id, { status: 'Inactive', lastUsed }), {
          ...k,
          status: 'Inactive',
          lastUsed,
        });
        assert.deepEqual(await s.accessKeys.get(k.id), { ...k, status: 'Inactive', lastUsed });
        await s.accessKeys.delete(k.id);
        assert.equal(await s.accessKeys.get(k.id), undefined);
        await rejectsWith(s.accessKeys.delete(k.id), 'NotFound');
        await rejectsWith(s.accessKeys.update(k.id, { status: 'Active' }), 'NotFound');
      });

      withStore('a sealed secret round-trips and never shows in errors', async (s) => {
        const k = await s.accessKeys.create(accessKey());
        const got = await s.accessKeys.get(k.id);
        assert.ok(got);
        assert.equal(box.unseal(got.secret, got.id), `secret-of-${k.id}-abcdefghijklmnopqrstuvwxyz`);
        await assert.rejects(s.accessKeys.create(k), (e: unknown) => {
          assert.ok(e instanceof AlreadyExists);
          assert.ok(!String(e).includes('secret-of') && !String(e).includes(k.secret));
          assert.ok(!JSON.stringify(e).includes(k.secret));
          return true;
        });
      });
    });

    describe('inline policies', () => {
      withStore('inline policies are upserted, read, listed and deleted per owner', async (s) => {
        await s.users.create(user('Same'));
        await s.roles.create(role('Same'));
        await s.inlinePolicies.put(userRef('Same'), { name: 'Pull', document: '{"u":1}' });
        await s.inlinePolicies.put(roleRef('same'), { name: 'Pull', document: '{"r":1}' });
        assert.deepEqual(await s.inlinePolicies.get(userRef('same'), 'pull'), {
          name: 'Pull',
          document: '{"u":1}',
        });
        assert.deepEqual(await s.inlinePolicies.get(roleRef('Same'), 'PULL'), {
          name: 'Pull',
          document: '{"r":1}',
        });
        await s.inlinePolicies.put(userRef('Same'), { name: 'PULL', document: '{"u":2}' });
        await s.inlinePolicies.put(userRef('Same'), { name: 'Apush', document: '{}' });
        assert.deepEqual((await s.inlinePolicies.list(userRef('Same'))).items, [
          { name: 'Apush', document: '{}' },
          { name: 'PULL', document: '{"u":2}' },
        ]);
        assert.equal(await s.inlinePolicies.get(userRef('Same'), 'none'), undefined);
        await s.inlinePolicies.delete(userRef('Same'), 'pull');
        await rejectsWith(
          s.inlinePolicies.delete(userRef('Same'), 'pull'),
          'NotFound',
          (e) => e.entity === 'inlinePolicy',
        );
        assert.equal((await s.inlinePolicies.list(roleRef('Same'))).items.length, 1);
      });

      withStore('inline policies need an existing owner', async (s) => {
        await rejectsWith(
          s.inlinePolicies.put(userRef('Ghost'), { name: 'p', document: '{}' }),
          'NotFound',
          (e) => e.entity === 'user',
        );
        await rejectsWith(
          s.inlinePolicies.get(roleRef('Ghost'), 'p'),
          'NotFound',
          (e) => e.entity === 'role',
        );
        await rejectsWith(s.inlinePolicies.list(roleRef('Ghost')), 'NotFound', (e) => e.entity === 'role');
        await rejectsWith(
          s.inlinePolicies.delete(userRef('Ghost', B), 'p'),
          'NotFound',
          (e) => e.entity === 'user',
        );
      });
    });

    describe('managed policies and versions', () => {
      withStore('a managed policy starts with a default v1', async (s) => {
        const p = policy('EcrPull', {
          path: '/team/',
          description: 'pull only',
          tags: [{ key: 'owner', value: 'ci' }],
        });
        const created = await s.managedPolicies.create(p);
        const { document, ...rest } = p;
        const expected = {
          ...rest,
          isAttachable: true,
          defaultVersionId: 'v1',
          attachmentCount: 0,
          updatedAt: T0,
        };
        assert.deepEqual(created, expected);
        assert.deepEqual(await s.managedPolicies.get(A, 'ecrpull'), expected);
        assert.deepEqual(await s.managedPolicies.getByArn(p.arn), expected);
        assert.equal(await s.managedPolicies.getByArn(p.arn.toUpperCase()), undefined, 'ARNs match exactly');
        assert.deepEqual(await s.managedPolicies.listVersions(A, 'EcrPull'), [
          { versionId: 'v1', document, isDefault: true, createdAt: T0 },
        ]);
        assert.deepEqual(await s.managedPolicies.getVersion(A, 'EcrPull', 'v1'), {
          versionId: 'v1',
          document,
          isDefault: true,
          createdAt: T0,
        });
        assert.equal(await s.managedPolicies.getVersion(A, 'EcrPull', 'v2'), undefined);
        await rejectsWith(
          s.managedPolicies.getVersion(A, 'Nope', 'v1'),
          'NotFound',
          (e) => e.entity === 'managedPolicy',
        );
        const tagged = await s.managedPolicies.update(A, 'ecrPULL', { tags: [] });
        assert.deepEqual(tagged, { ...expected, tags: [] });
      });

      withStore('managed policy names, ids and ARNs are unique', async (s) => {
        const p = await s.managedPolicies.create(policy('P'));
        await rejectsWith(
          s.managedPolicies.create(policy('p')),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'name',
        );
        await rejectsWith(
          s.managedPolicies.create(policy('Q', { id: p.id })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'id',
        );
        await rejectsWith(
          s.managedPolicies.create(policy('Q', { arn: p.arn })),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'arn',
        );
        await s.managedPolicies.create(policy('P', { accountId: B }));
      });

      withStore(
        'versions are capped at five, numbered without reuse, and the default switches',
        async (s) => {
          await s.managedPolicies.create(policy('P'));
          for (let i = 2; i <= 5; i++) {
            const v = await s.managedPolicies.createVersion(A, 'p', {
              document: `{"v":${i}}`,
              createdAt: at(i),
              setAsDefault: i === 3,
            });
            assert.deepEqual(v, {
              versionId: `v${i}`,
              document: `{"v":${i}}`,
              isDefault: i === 3,
              createdAt: at(i),
            });
          }
          await rejectsWith(
            s.managedPolicies.createVersion(A, 'P', {
              document: '{}',
              createdAt: at(9),
              setAsDefault: false,
            }),
            'Conflict',
            (e) => (e as Conflict).reason === 'VersionLimitReached',
          );
          const p = await s.managedPolicies.get(A, 'P');
          assert.equal(p?.defaultVersionId, 'v3');
          assert.deepEqual(p?.updatedAt, at(5));
          assert.deepEqual(
            (await s.managedPolicies.listVersions(A, 'P')).map((v) => [v.versionId, v.isDefault]),
            [
              ['v1', false],
              ['v2', false],
              ['v3', true],
              ['v4', false],
              ['v5', false],
            ],
          );
          await rejectsWith(
            s.managedPolicies.deleteVersion(A, 'P', 'v3'),
            'Conflict',
            (e) => (e as Conflict).reason === 'IsDefaultVersion',
          );
          await rejectsWith(
            s.managedPolicies.deleteVersion(A, 'P', 'v9'),
            'NotFound',
            (e) => e.entity === 'policyVersion',
          );
          await rejectsWith(
            s.managedPolicies.setDefaultVersion(A, 'P', 'v9', at(10)),
            'NotFound',
            (e) => e.entity === 'policyVersion',
          );
          await s.managedPolicies.deleteVersion(A, 'P', 'v2');
          const v6 = await s.managedPolicies.createVersion(A, 'P', {
            document: '{"v":6}',
            createdAt: at(11),
            setAsDefault: false,
          });
          assert.equal(v6.versionId, 'v6', 'version ids are never reused');
          await s.managedPolicies.setDefaultVersion(A, 'P', 'v6', at(12));
          const after = await s.managedPolicies.get(A, 'P');
          assert.equal(after?.defaultVersionId, 'v6');
          assert.deepEqual(after?.updatedAt, at(12));
          assert.equal((await s.managedPolicies.getVersion(A, 'P', 'v3'))?.isDefault, false);
          assert.equal((await s.managedPolicies.getVersion(A, 'P', 'v6'))?.isDefault, true);
          await s.managedPolicies.deleteVersion(A, 'P', 'v3');
          assert.deepEqual(
            (await s.managedPolicies.listVersions(A, 'P')).map((v) => v.versionId),
            ['v1', 'v4', 'v5', 'v6'],
          );
        },
      );

      withStore('a managed policy is deleted with its versions once detached', async (s) => {
        await s.roles.create(role('R'));
        const p = await s.managedPolicies.create(policy('P'));
        await s.managedPolicies.createVersion(A, 'P', {
          document: '{}',
          createdAt: at(1),
          setAsDefault: false,
        });
        await s.attachments.attach(roleRef('R'), p.arn);
        await rejectsWith(
          s.managedPolicies.delete(A, 'P'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasAttachments',
        );
        await s.attachments.detach(roleRef('R'), p.arn);
        await s.managedPolicies.delete(A, 'p');
        assert.equal(await s.managedPolicies.get(A, 'P'), undefined);
        await rejectsWith(s.managedPolicies.delete(A, 'P'), 'NotFound');
        await rejectsWith(s.managedPolicies.listVersions(A, 'P'), 'NotFound');
        await s.managedPolicies.create(policy('P', { id: uid('ANPA') }));
        assert.deepEqual(
          (await s.managedPolicies.listVersions(A, 'P')).map((v) => v.versionId),
          ['v1'],
        );
      });
    });

    describe('attachments', () => {
      withStore('attachments are idempotent, counted, filtered by path and listed both ways', async (s) => {
        await s.users.create(user('U'));
        await s.roles.create(role('R'));
        const team = await s.managedPolicies.create(policy('Team', { path: '/team/' }));
        const aws = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
        await s.attachments.attach(roleRef('R'), team.arn);
        await s.attachments.attach(roleRef('r'), team.arn);
        await s.attachments.attach(roleRef('R'), aws);
        await s.attachments.attach(userRef('U'), team.arn);
        assert.equal((await s.managedPolicies.get(A, 'Team'))?.attachmentCount, 2);
        assert.deepEqual((await s.attachments.listForPrincipal(roleRef('R'))).items, [aws, team.arn].sort());
        assert.deepEqual(
          (await s.attachments.listForPrincipal(roleRef('R'), { pathPrefix: '/team/' })).items,
          [team.arn],
        );
        assert.deepEqual((await s.attachments.listForPolicy(team.arn)).items, [roleRef('R'), userRef('U')]);
        assert.deepEqual((await s.attachments.listForPolicy(team.arn, { kind: 'user' })).items, [
          userRef('U'),
        ]);
        assert.deepEqual(
          (await s.managedPolicies.list(A, { onlyAttached: true })).items.map((p) => p.name),
          ['Team'],
        );
        await s.attachments.detach(userRef('u'), team.arn);
        await rejectsWith(
          s.attachments.detach(userRef('U'), team.arn),
          'NotFound',
          (e) => e.entity === 'policyAttachment',
        );
        await rejectsWith(
          s.attachments.attach(userRef('Ghost'), team.arn),
          'NotFound',
          (e) => e.entity === 'user',
        );
        await rejectsWith(
          s.attachments.listForPrincipal(roleRef('Ghost')),
          'NotFound',
          (e) => e.entity === 'role',
        );
        assert.equal((await s.managedPolicies.getByArn(team.arn))?.attachmentCount, 1);
        assert.deepEqual((await s.attachments.listForPolicy('arn:aws:iam::aws:policy/Nothing')).items, []);
      });
    });

    describe('instance profiles', () => {
      withStore('profiles hold roles by name and follow them', async (s) => {
        const p = profile('Web', { path: '/app/', tags: [{ key: 'tier', value: 'web' }] });
        assert.deepEqual(await s.instanceProfiles.create(p), { ...p, roleNames: [] });
        await rejectsWith(
          s.instanceProfiles.create(profile('WEB')),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'name',
        );
        await s.roles.create(role('Ec2Role'));
        await rejectsWith(
          s.instanceProfiles.addRole(A, 'Web', 'Ghost'),
          'NotFound',
          (e) => e.entity === 'role',
        );
        await rejectsWith(
          s.instanceProfiles.addRole(A, 'Ghost', 'Ec2Role'),
          'NotFound',
          (e) => e.entity === 'instanceProfile',
        );
        await s.instanceProfiles.addRole(A, 'web', 'ec2role');
        await rejectsWith(
          s.instanceProfiles.addRole(A, 'Web', 'Ec2Role'),
          'AlreadyExists',
          (e) => (e as AlreadyExists).field === 'member',
        );
        assert.deepEqual(await s.instanceProfiles.get(A, 'WEB'), { ...p, roleNames: ['Ec2Role'] });
        await s.instanceProfiles.create(profile('Api'));
        assert.deepEqual(names(await s.instanceProfiles.list(A)), ['Api', 'Web']);
        assert.deepEqual(names(await s.instanceProfiles.list(A, { pathPrefix: '/app/' })), ['Web']);
        assert.deepEqual(names(await s.instanceProfiles.listForRole(A, 'Ec2Role')), ['Web']);
        await rejectsWith(s.instanceProfiles.listForRole(A, 'Ghost'), 'NotFound');
        await rejectsWith(
          s.instanceProfiles.delete(A, 'Web'),
          'Conflict',
          (e) => (e as Conflict).reason === 'HasRoles',
        );
        await rejectsWith(s.instanceProfiles.removeRole(A, 'Api', 'Ec2Role'), 'NotFound');
        await s.instanceProfiles.removeRole(A, 'Web', 'Ec2Role');
        assert.deepEqual((await s.instanceProfiles.update(A, 'Web', { tags: [] })).tags, []);
        await s.instanceProfiles.delete(A, 'Web');
        assert.equal(await s.instanceProfiles.get(A, 'Web'), undefined);
        await rejectsWith(s.instanceProfiles.delete(A, 'Web'), 'NotFound');
      });
    });

    describe('sessions', () => {
      withStore('sessions keep identity, policies, tags and a token hash, and expire', async (s) => {
        const full = session({
          sessionPolicy: '{"Version":"2012-10-17","Statement":[]}',
          sessionPolicyArns: ['arn:aws:iam::111111111111:policy/A', 'arn:aws:iam::aws:policy/B'],
          tags: [
            { key: 'Project', value: 'Ünïcode ✓' },
            { key: 'team', value: 'x' },
          ],
          transitiveTagKeys: ['Project'],
          sourceIdentity: 'alice',
          chained: true,
        });
        const userSession = session({
          principal: { type: 'User', userId: 'AIDA00000000000000001', userName: 'alice' },
          expiresAt: at(10),
        });
        const rootSession = session({ principal: { type: 'Root' }, expiresAt: at(30) });
        for (const x of [full, userSession, rootSession]) assert.deepEqual(await s.sessions.create(x), x);
        for (const x of [full, userSession, rootSession])
          assert.deepEqual(await s.sessions.get(x.accessKeyId), x);
        await rejectsWith(s.sessions.create(full), 'AlreadyExists');
        const got = await s.sessions.get(full.accessKeyId);
        assert.ok(got && sessionTokenMatches(`token-${full.accessKeyId}`, got.sessionTokenHash));
        assert.ok(!sessionTokenMatches('forged', got.sessionTokenHash));
        assert.equal(await s.sessions.deleteExpired(at(10)), 1);
        assert.equal(await s.sessions.get(userSession.accessKeyId), undefined);
        assert.equal(await s.sessions.deleteExpired(at(10)), 0);
        await s.sessions.delete(rootSession.accessKeyId);
        await rejectsWith(s.sessions.delete(rootSession.accessKeyId), 'NotFound');
        assert.equal(await s.sessions.deleteExpired(at(1000)), 1);
      });
    });

    describe('pagination', () => {
      withStore('markers walk a list in a stable case-insensitive order', async (s) => {
        const all = ['delta', 'Alpha', 'charlie', 'Echo', 'bravo', 'foxtrot', 'Golf'];
        const inB = ['delta', 'Echo', 'foxtrot', 'Golf'];
        for (const n of all) await s.users.create(user(n, { path: inB.includes(n) ? '/b/' : '/a/' }));
        const expected = ['Alpha', 'bravo', 'charlie', 'delta', 'Echo', 'foxtrot', 'Golf'];
        assert.deepEqual(names(await s.users.list(A)), expected);
        const walked = await drain((marker) => s.users.list(A, { maxItems: 3, marker }), 3);
        assert.deepEqual(
          walked.map((u) => u.name),
          expected,
        );
        const first = await s.users.list(A, { maxItems: 7 });
        assert.equal(first.marker, undefined, 'no marker when nothing follows');
        const one = await s.users.list(A, { maxItems: 2 });
        assert.ok(one.marker);
        await s.users.delete(A, 'bravo');
        await s.users.create(user('Bz'));
        await s.users.create(user('Ab'));
        assert.deepEqual(
          names(await s.users.list(A, { marker: one.marker, maxItems: 2 })),
          ['Bz', 'charlie'],
          'a marker survives changes',
        );
        const prefixed = await drain(
          (marker) => s.users.list(A, { pathPrefix: '/b/', maxItems: 2, marker }),
          2,
        );
        assert.deepEqual(
          prefixed.map((u) => u.name),
          ['delta', 'Echo', 'foxtrot', 'Golf'],
        );
        assert.deepEqual(
          names(await s.users.list(A, { pathPrefix: '/b/f' })),
          [],
          'the prefix applies to the path, not to the name',
        );
      });

      withStore('every list pages the same way', async (s) => {
        for (let i = 0; i < 5; i++) {
          await s.accounts.create(account(`10000000000${i}`));
          await s.roles.create(role(`role${i}`));
          await s.managedPolicies.create(policy(`pol${i}`));
          await s.instanceProfiles.create(profile(`prof${i}`));
          await s.instanceProfiles.addRole(A, `prof${i}`, 'role0');
          await s.inlinePolicies.put(roleRef('role0'), { name: `in${i}`, document: '{}' });
          await s.attachments.attach(roleRef('role0'), `arn:aws:iam::aws:policy/P${i}`);
          await s.attachments.attach(roleRef(`role${i}`), 'arn:aws:iam::aws:policy/Shared');
          await s.accessKeys.create(accessKey({ id: `AKIA00000000000000${i}0` }));
          await s.createAccountRequests.create({
            id: `car-0000000${i}`,
            organizationId: 'o-x',
            accountName: 'n',
            email: `${i}@x`,
            state: 'IN_PROGRESS',
            requestedAt: T0,
          });
        }
        const lists: [string, number, (m?: string) => Promise<Page<unknown>>][] = [
          ['accounts', 5, (m) => s.accounts.list({ maxItems: 2, marker: m })],
          ['roles', 5, (m) => s.roles.list(A, { maxItems: 2, marker: m })],
          ['policies', 5, (m) => s.managedPolicies.list(A, { maxItems: 2, marker: m })],
          ['profiles', 5, (m) => s.instanceProfiles.list(A, { maxItems: 2, marker: m })],
          [
            'profiles for role',
            5,
            (m) => s.instanceProfiles.listForRole(A, 'role0', { maxItems: 2, marker: m }),
          ],
          ['inline', 5, (m) => s.inlinePolicies.list(roleRef('role0'), { maxItems: 2, marker: m })],
          [
            'attached',
            6,
            (m) => s.attachments.listForPrincipal(roleRef('role0'), { maxItems: 2, marker: m }),
          ],
          [
            'entities',
            5,
            (m) => s.attachments.listForPolicy('arn:aws:iam::aws:policy/Shared', { maxItems: 2, marker: m }),
          ],
          ['keys', 5, (m) => s.accessKeys.list({ accountId: A }, { maxItems: 2, marker: m })],
          ['requests', 5, (m) => s.createAccountRequests.list({ maxItems: 2, marker: m })],
        ];
        for (const [what, count, fetch] of lists) {
          const paged = await drain(fetch, 2);
          assert.equal(paged.length, count, what);
          assert.equal(new Set(paged.map((x) => JSON.stringify(x))).size, count, `${what}: no duplicates`);
        }
      });

      withStore('a marker that was not handed out is refused', async (s) => {
        await s.users.create(user('a'));
        await rejectsWith(s.users.list(A, { marker: 'garbage!' }), 'InvalidMarker');
        await rejectsWith(
          s.roles.list(A, { marker: Buffer.from('{"x":1}').toString('base64url') }),
          'InvalidMarker',
        );
        await assert.rejects(s.users.list(A, { marker: 'garbage!' }), InvalidMarker);
      });

      withStore('lists default to 100 items', async (s) => {
        for (let i = 0; i < 101; i++) await s.sessions.create(session());
        await s.transaction(async (tx) => {
          for (let i = 0; i < 101; i++) await tx.users.create(user(`user${String(i).padStart(3, '0')}`));
        });
        const page = await s.users.list(A);
        assert.equal(page.items.length, 100);
        assert.ok(page.marker);
        assert.deepEqual(names(await s.users.list(A, { marker: page.marker })), ['user100']);
      });
    });

    describe('transactions', () => {
      withStore('a throwing transaction leaves nothing behind', async (s) => {
        await s.users.create(user('Keep'));
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.users.create(user('Gone'));
            await tx.roles.create(role('Gone'));
            await tx.managedPolicies.create(policy('Gone'));
            await tx.managedPolicies.createVersion(A, 'Gone', {
              document: '{}',
              createdAt: at(1),
              setAsDefault: true,
            });
            await tx.users.update(A, 'Keep', { path: '/changed/' });
            await tx.users.delete(A, 'Gone');
            assert.equal(
              (await tx.users.get(A, 'Keep'))?.path,
              '/changed/',
              'a transaction sees its own writes',
            );
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(names(await s.users.list(A)), ['Keep']);
        assert.equal((await s.users.get(A, 'Keep'))?.path, '/');
        assert.equal(await s.roles.get(A, 'Gone'), undefined);
        assert.equal(await s.managedPolicies.get(A, 'Gone'), undefined);
      });

      withStore('a store error inside a transaction rolls back earlier writes', async (s) => {
        await s.users.create(user('Taken'));
        await rejectsWith(
          s.transaction(async (tx) => {
            await tx.roles.create(role('Partial'));
            await tx.users.create(user('taken'));
          }),
          'AlreadyExists',
        );
        assert.equal(await s.roles.get(A, 'Partial'), undefined);
      });

      withStore('a committed transaction returns its result and its writes are visible', async (s) => {
        const out = await s.transaction(async (tx) => {
          await tx.users.create(user('U'));
          await tx.accessKeys.create(accessKey({ id: 'AKIAAAAAAAAAAAAAAAAA', userName: 'U' }));
          return 42;
        });
        assert.equal(out, 42);
        assert.equal((await s.accessKeys.get('AKIAAAAAAAAAAAAAAAAA'))?.userName, 'U');
      });

      withStore('a nested transaction that throws undoes only its own writes', async (s) => {
        await s.transaction(async (tx) => {
          await tx.users.create(user('Outer'));
          await assert.rejects(
            tx.transaction(async (inner) => {
              await inner.users.create(user('Inner'));
              throw new Error('inner');
            }),
            /inner/,
          );
          await tx.transaction(async (inner) => {
            await inner.roles.create(role('Kept'));
          });
        });
        assert.deepEqual(names(await s.users.list(A)), ['Outer']);
        assert.ok(await s.roles.get(A, 'Kept'));
      });

      withStore('using the outer store inside a transaction throws instead of hanging', async (s) => {
        await assert.rejects(
          s.transaction(async () => {
            await s.users.get(A, 'x');
          }),
          StoreMisuse,
        );
        let leaked: MetadataTx | undefined;
        await s.transaction(async (tx) => {
          leaked = tx;
        });
        await assert.rejects(leaked!.users.get(A, 'x'), StoreMisuse);
        assert.equal(await s.users.get(A, 'x'), undefined, 'the store still works');
      });

      withStore('concurrent transactions are serializable', async (s) => {
        // Each transaction reads how many users exist and creates the next one: if two
        // interleaved, both would pick the same name and one would fail.
        const n = 12;
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            s.transaction(async (tx) => {
              const count = (await tx.users.list(A, { maxItems: 1000 })).items.length;
              await new Promise((r) => setTimeout(r, i % 3));
              await tx.users.create(user(`u${String(count).padStart(2, '0')}`));
            }),
          ),
        );
        assert.equal((await s.users.list(A)).items.length, n);
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            s.transaction(async (tx) => {
              await tx.roles.create(role(`r${i}`));
              if (i % 2 === 1) throw new Error('odd');
            }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'rejected').length, 3);
        assert.deepEqual(names(await s.roles.list(A)), ['r0', 'r2', 'r4']);
        await Promise.all([s.users.get(A, 'u00'), s.roles.list(A), s.transaction((tx) => tx.users.list(A))]);
      });
    });

    describe('unicode', () => {
      withStore('text round-trips and names compare case-insensitively beyond ASCII', async (s) => {
        const text = 'Ωμέγα — 東京 — emoji 🐳📦 — مرحبا — e\u0301 — \u{10FFFF}';
        const r = role('Ñandú', {
          description: text,
          tags: [{ key: 'ключ', value: text }],
          assumeRolePolicyDocument: JSON.stringify({ Sid: text }),
        });
        assert.deepEqual(await s.roles.create(r), r);
        assert.deepEqual(await s.roles.get(A, 'ñANDÚ'), r);
        await rejectsWith(s.roles.create(role('ÑANDÚ')), 'AlreadyExists');
        await s.users.create(user('Ärger'));
        await s.users.create(user('zeta'));
        await s.users.create(user('🐳'));
        assert.deepEqual(
          names(await s.users.list(A)),
          ['zeta', 'Ärger', '🐳'],
          'code point order of lowercased names',
        );
        await s.inlinePolicies.put(roleRef('Ñandú'), { name: 'Política', document: text });
        assert.deepEqual(await s.inlinePolicies.get(roleRef('ñandú'), 'política'), {
          name: 'Política',
          document: text,
        });
        const acct = account(B, { name: text, email: 'ÜBER@example.com', alias: 'Ünï' });
        await s.accounts.create(acct);
        assert.deepEqual(await s.accounts.getByAlias('ünï'), acct);
        await rejectsWith(s.accounts.create(account(A, { email: 'über@EXAMPLE.com' })), 'AlreadyExists');
      });
    });

    describe('lifecycle', () => {
      withStore('data survives close and reopen', async (s0, h, t) => {
        if (h.reopen === undefined) {
          t.skip(`the ${name} driver keeps nothing across close, so there is nothing to reopen`);
          return;
        }
        let s = s0;
        await s.organizations.create(org());
        await s.accounts.create(account(A, { alias: 'mgmt', organizationId: 'o-abcdefghij' }));
        const u = await s.users.create(user('Alice', { tags: [{ key: 'k', value: 'v' }] }));
        const r = await s.roles.create(
          role('Deployer', { description: 'd', lastUsed: { at: at(1), region: 'us-east-1' } }),
        );
        const k = await s.accessKeys.create(accessKey({ userName: 'Alice' }));
        const rk = await s.accessKeys.create(accessKey());
        await s.inlinePolicies.put(roleRef('Deployer'), { name: 'inline', document: '{"a":1}' });
        const p = await s.managedPolicies.create(policy('P'));
        await s.managedPolicies.createVersion(A, 'P', {
          document: '{"v":2}',
          createdAt: at(2),
          setAsDefault: true,
        });
        await s.attachments.attach(roleRef('Deployer'), p.arn);
        await s.instanceProfiles.create(profile('Prof'));
        await s.instanceProfiles.addRole(A, 'Prof', 'Deployer');
        const sess = await s.sessions.create(session({ tags: [{ key: 't', value: 'v' }], chained: true }));
        const snapshot = async (x: MetadataStore): Promise<unknown[]> => [
          await x.organizations.list(),
          await x.accounts.list(),
          await x.users.get(A, 'Alice'),
          await x.roles.get(A, 'Deployer'),
          await x.accessKeys.get(k.id),
          await x.accessKeys.get(rk.id),
          await x.inlinePolicies.list(roleRef('Deployer')),
          await x.managedPolicies.get(A, 'P'),
          await x.managedPolicies.listVersions(A, 'P'),
          await x.attachments.listForPrincipal(roleRef('Deployer')),
          await x.instanceProfiles.get(A, 'Prof'),
          await x.sessions.get(sess.accessKeyId),
        ];
        const before = await snapshot(s);
        assert.deepEqual(before[2], u);
        assert.deepEqual(before[3], r);
        s = await h.reopen();
        assert.deepEqual(await snapshot(s), before);
        await s.users.create(user('AfterReopen'));
        s = await h.reopen();
        assert.ok(await s.users.get(A, 'afterreopen'));
        assert.equal(
          (
            await s.managedPolicies.createVersion(A, 'P', {
              document: '{}',
              createdAt: at(3),
              setAsDefault: false,
            })
          ).versionId,
          'v3',
        );
      });

      withStore('a closed store refuses calls', async (s, h) => {
        await s.users.create(user('U'));
        await s.close();
        await assert.rejects(s.users.get(A, 'U'));
        await assert.rejects(s.transaction(async () => undefined));
        if (h.reopen !== undefined) {
          const again = await h.reopen();
          assert.ok(await again.users.get(A, 'U'));
        }
      });
    });

    registerEcrCases(withStore, name);
    registerGroupsOrgsCases(withStore);
    registerSecretsCases(withStore);
  });
}
