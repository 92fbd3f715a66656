// Organizations' tree and service control policies through OrganizationsService on the in-memory
// store with the real door and engine: AWS's rules for OUs, policy types, attachments, and how SCPs
// decide a member account's requests (every level must allow, any deny denies, never the
// management account).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { principalOf, type Caller, type CallerIdentity } from '../../auth/caller.js';
import { PolicyCache } from '../../iam/index.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { Authorizer } from '../authz.js';
import { ServiceError } from '../errors.js';
import { IdFactory } from '../ids.js';
import { seededRandom, serviceDeps } from '../../../test/helpers/world.js';
import { OrganizationsService } from './service.js';
import { FULL_AWS_ACCESS } from './tree.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const MGMT = '111111111111';
const DEV = '222222222222';
const PROD = '333333333333';

const scp = (effect: 'Allow' | 'Deny', action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: effect, Action: action, Resource: '*' }] });

async function world() {
  const deps = serviceDeps({
    clock: { now: () => T0 },
    ids: new IdFactory(seededRandom('tree')),
    box: SecretBox.fromKey(Buffer.alloc(32, 5)),
  });
  const { store, authz } = deps;
  const orgs = new OrganizationsService(deps);
  await orgs.bootstrap({ managementAccountId: MGMT });
  const caller = async (accountId: string, identity: CallerIdentity = { kind: 'root' }): Promise<Caller> => {
    const account = (await store.accounts.get(accountId))!;
    return {
      principal: principalOf(account, identity),
      account,
      accessKeyId: 'AKIATESTTESTTESTTEST',
      identity,
      request: { sourceIp: '127.0.0.1', secure: false, region: 'us-east-1' },
    };
  };
  const mgmt = await caller(MGMT);
  for (const [id, alias] of [
    [DEV, 'dev'],
    [PROD, 'prod'],
  ] as const) {
    await orgs.createAccount(mgmt, {
      Email: `${alias}@example.com`,
      AccountName: alias,
      AccountId: id,
      Alias: alias,
    });
  }
  const org = (await store.organizations.list()).items[0]!;
  /** A session of OrganizationAccountAccessRole (AdministratorAccess) in an account. */
  const admin = async (accountId: string) => {
    const role = (await store.roles.get(accountId, 'OrganizationAccountAccessRole'))!;
    const session = {
      accessKeyId: 'ASIATESTTESTTESTTEST',
      secret: deps.box.seal('s', 'ASIATESTTESTTESTTEST'),
      sessionTokenHash: 'x',
      accountId,
      principal: { type: 'AssumedRole' as const, roleId: role.id, roleName: role.name, sessionName: 's' },
      issuedAt: new Date(T0),
      expiresAt: new Date(T0 + 3600_000),
      sessionPolicyArns: [],
      tags: [],
      transitiveTagKeys: [],
      chained: false,
    };
    return caller(accountId, { kind: 'role-session', role, session });
  };
  const pull = async (who: Caller, action = 'ecr:BatchGetImage') =>
    authz.check({
      caller: who,
      action,
      resource: `arn:aws:ecr:us-east-1:${who.account.id}:repository/app`,
    });
  return { store, orgs, tree: orgs.tree, org, mgmt, caller, admin, pull };
}

async function rejectsCode(p: Promise<unknown>, code: string, reason?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.code, code, e.message);
    if (reason !== undefined) assert.equal(e.fields?.['Reason'], reason);
    return true;
  });
}

describe('Organizations: roots, OUs and accounts', () => {
  test('ListRoots shows the root and, once enabled, SERVICE_CONTROL_POLICY as ENABLED', async () => {
    const w = await world();
    const before = await w.tree.listRoots(w.mgmt, {});
    assert.equal(before.Roots[0]!.Id, w.org.rootId);
    assert.equal(before.Roots[0]!.Arn, `arn:aws:organizations::${MGMT}:root/${w.org.id}/${w.org.rootId}`);
    assert.deepEqual(before.Roots[0]!.PolicyTypes, []);
    const { Root } = await w.tree.enablePolicyType(w.mgmt, {
      RootId: w.org.rootId,
      PolicyType: 'SERVICE_CONTROL_POLICY',
    });
    assert.deepEqual(Root.PolicyTypes, [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }]);
    await rejectsCode(
      w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }),
      'PolicyTypeAlreadyEnabledException',
    );
    await rejectsCode(
      w.tree.enablePolicyType(w.mgmt, { RootId: 'r-zzzz', PolicyType: 'SERVICE_CONTROL_POLICY' }),
      'RootNotFoundException',
    );
    await rejectsCode(
      w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'NOPE' }),
      'InvalidInputException',
    );
    await w.tree.disablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    await rejectsCode(
      w.tree.disablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }),
      'PolicyTypeNotEnabledException',
    );
    assert.deepEqual(
      (await w.tree.listPoliciesForTarget(w.mgmt, { TargetId: DEV, Filter: 'SERVICE_CONTROL_POLICY' }))
        .Policies,
      [],
    );
  });

  test('only the management account may call; an account outside any organization is told so', async () => {
    const w = await world();
    await rejectsCode(w.tree.listRoots(await w.caller(DEV), {}), 'AccessDeniedException');
    await rejectsCode(
      w.tree.createOrganizationalUnit(await w.admin(DEV), { ParentId: w.org.rootId, Name: 'x' }),
      'AccessDeniedException',
    );
    await w.store.accounts.create({
      id: '444444444444',
      name: 'loner',
      email: 'loner@example.com',
      status: 'ACTIVE',
      joinedMethod: 'CREATED',
      joinedAt: new Date(T0),
    });
    await rejectsCode(
      w.tree.listRoots(await w.caller('444444444444'), {}),
      'AWSOrganizationsNotInUseException',
    );
  });

  test('OUs nest five deep, are unique by name among siblings, and are deleted only when empty', async () => {
    const w = await world();
    const { OrganizationalUnit: eng } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Eng',
    });
    assert.match(eng.Id, new RegExp(`^ou-${w.org.rootId.slice(2)}-[a-z0-9]{8}$`));
    assert.equal(eng.Arn, `arn:aws:organizations::${MGMT}:ou/${w.org.id}/${eng.Id}`);
    await rejectsCode(
      w.tree.createOrganizationalUnit(w.mgmt, { ParentId: w.org.rootId, Name: 'eng' }),
      'DuplicateOrganizationalUnitException',
    );
    await rejectsCode(
      w.tree.createOrganizationalUnit(w.mgmt, { ParentId: 'ou-zzzz-zzzzzzzz', Name: 'x' }),
      'ParentNotFoundException',
    );
    let parent = eng.Id;
    for (let depth = 2; depth <= 5; depth++) {
      parent = (await w.tree.createOrganizationalUnit(w.mgmt, { ParentId: parent, Name: `L${depth}` }))
        .OrganizationalUnit.Id;
    }
    await rejectsCode(
      w.tree.createOrganizationalUnit(w.mgmt, { ParentId: parent, Name: 'L6' }),
      'ConstraintViolationException',
      'OU_DEPTH_LIMIT_EXCEEDED',
    );
    assert.deepEqual(
      (
        await w.tree.listOrganizationalUnitsForParent(w.mgmt, { ParentId: w.org.rootId })
      ).OrganizationalUnits.map((o) => o.Name),
      ['Eng'],
    );
    assert.deepEqual((await w.tree.listParents(w.mgmt, { ChildId: eng.Id })).Parents, [
      { Id: w.org.rootId, Type: 'ROOT' },
    ]);
    const renamed = await w.tree.updateOrganizationalUnit(w.mgmt, {
      OrganizationalUnitId: eng.Id,
      Name: 'Engineering',
    });
    assert.equal(renamed.OrganizationalUnit.Name, 'Engineering');
    assert.equal(
      (await w.tree.describeOrganizationalUnit(w.mgmt, { OrganizationalUnitId: eng.Id })).OrganizationalUnit
        .Name,
      'Engineering',
    );
    await rejectsCode(
      w.tree.deleteOrganizationalUnit(w.mgmt, { OrganizationalUnitId: eng.Id }),
      'OrganizationalUnitNotEmptyException',
    );
    await rejectsCode(
      w.tree.describeOrganizationalUnit(w.mgmt, { OrganizationalUnitId: 'ou-zzzz-zzzzzzzz' }),
      'OrganizationalUnitNotFoundException',
    );
  });

  test('MoveAccount moves between parents; ListChildren, ListParents and ListAccountsForParent follow', async () => {
    const w = await world();
    const { OrganizationalUnit: ou } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Workloads',
    });
    const accountsUnder = async (id: string) =>
      (await w.tree.listAccountsForParent(w.mgmt, { ParentId: id })).Accounts.map((a) => a.id);
    assert.deepEqual(await accountsUnder(w.org.rootId), [MGMT, DEV, PROD]);
    await w.tree.moveAccount(w.mgmt, {
      AccountId: DEV,
      SourceParentId: w.org.rootId,
      DestinationParentId: ou.Id,
    });
    assert.deepEqual(await accountsUnder(ou.Id), [DEV]);
    assert.deepEqual(await accountsUnder(w.org.rootId), [MGMT, PROD]);
    assert.deepEqual((await w.tree.listParents(w.mgmt, { ChildId: DEV })).Parents, [
      { Id: ou.Id, Type: 'ORGANIZATIONAL_UNIT' },
    ]);
    assert.deepEqual(
      (await w.tree.listChildren(w.mgmt, { ParentId: ou.Id, ChildType: 'ACCOUNT' })).Children,
      [{ Id: DEV, Type: 'ACCOUNT' }],
    );
    assert.deepEqual(
      (await w.tree.listChildren(w.mgmt, { ParentId: w.org.rootId, ChildType: 'ORGANIZATIONAL_UNIT' }))
        .Children,
      [{ Id: ou.Id, Type: 'ORGANIZATIONAL_UNIT' }],
    );
    await rejectsCode(
      w.tree.moveAccount(w.mgmt, { AccountId: DEV, SourceParentId: ou.Id, DestinationParentId: ou.Id }),
      'DuplicateAccountException',
    );
    await rejectsCode(
      w.tree.moveAccount(w.mgmt, {
        AccountId: DEV,
        SourceParentId: w.org.rootId,
        DestinationParentId: ou.Id,
      }),
      'AccountNotFoundException',
    );
    await rejectsCode(
      w.tree.moveAccount(w.mgmt, {
        AccountId: DEV,
        SourceParentId: 'ou-zzzz-zzzzzzzz',
        DestinationParentId: ou.Id,
      }),
      'SourceParentNotFoundException',
    );
    await rejectsCode(
      w.tree.moveAccount(w.mgmt, { AccountId: DEV, SourceParentId: ou.Id, DestinationParentId: 'r-zzzz' }),
      'DestinationParentNotFoundException',
    );
    await rejectsCode(w.tree.listParents(w.mgmt, { ChildId: '999999999999' }), 'ChildNotFoundException');
    await rejectsCode(
      w.tree.deleteOrganizationalUnit(w.mgmt, { OrganizationalUnitId: ou.Id }),
      'OrganizationalUnitNotEmptyException',
    );
    await w.tree.moveAccount(w.mgmt, {
      AccountId: DEV,
      SourceParentId: ou.Id,
      DestinationParentId: w.org.rootId,
    });
    await w.tree.deleteOrganizationalUnit(w.mgmt, { OrganizationalUnitId: ou.Id });
  });
});

describe('Organizations: aws:PrincipalOrgPaths', () => {
  test("a principal's org path runs from the organization through the root and its OUs", async () => {
    const w = await world();
    const { OrganizationalUnit: ou } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Eng',
    });
    const { OrganizationalUnit: team } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: ou.Id,
      Name: 'Team',
    });
    await w.tree.moveAccount(w.mgmt, {
      AccountId: DEV,
      SourceParentId: w.org.rootId,
      DestinationParentId: team.Id,
    });
    const path = `${w.org.id}/${w.org.rootId}/${ou.Id}/${team.Id}/`;
    const cache = new PolicyCache();
    const authz = new Authorizer({ store: w.store, cache, clock: { now: () => T0 } });
    const check = async (who: Caller, pattern: string) =>
      (
        await authz.check({
          caller: who,
          action: 'ecr:BatchGetImage',
          resource: `arn:aws:ecr:us-east-1:${MGMT}:repository/shared`,
          resourceAccount: MGMT,
          resourcePolicies: [
            {
              id: 'repo',
              kind: 'repository',
              text: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Principal: '*',
                    Action: 'ecr:BatchGetImage',
                    Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': pattern } },
                  },
                ],
              }),
            },
          ],
        })
      ).decision;
    // Account roots pull from the management account's repository: the identity side allows (a
    // root), so the repository policy's condition on the org path decides.
    const devUser = await w.caller(DEV);
    assert.equal(await check(devUser, `${w.org.id}/${w.org.rootId}/${ou.Id}/*`), 'Allow');
    assert.equal(await check(devUser, path), 'Allow');
    assert.equal(await check(await w.caller(PROD), `${w.org.id}/${w.org.rootId}/${ou.Id}/*`), 'ImplicitDeny');
    assert.equal(await check(await w.caller(PROD), `${w.org.id}/${w.org.rootId}/`), 'Allow');
  });
});

describe('Organizations: service control policies', () => {
  test('enabling SCPs attaches FullAWSAccess everywhere; new OUs and accounts get it too', async () => {
    const w = await world();
    const { OrganizationalUnit: before } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Before',
    });
    await w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    const ids = async (target: string) =>
      (
        await w.tree.listPoliciesForTarget(w.mgmt, { TargetId: target, Filter: 'SERVICE_CONTROL_POLICY' })
      ).Policies.map((p) => p.Id);
    for (const target of [w.org.rootId, before.Id, MGMT, DEV, PROD])
      assert.deepEqual(await ids(target), ['p-FullAWSAccess']);
    const { OrganizationalUnit: after } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: before.Id,
      Name: 'After',
    });
    assert.deepEqual(await ids(after.Id), ['p-FullAWSAccess']);
    await w.orgs.createAccount(w.mgmt, {
      Email: 'new@example.com',
      AccountName: 'new',
      AccountId: '555555555555',
    });
    assert.deepEqual(await ids('555555555555'), ['p-FullAWSAccess']);
    const full = await w.tree.describePolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess' });
    assert.equal(full.Policy.PolicySummary.AwsManaged, true);
    assert.equal(full.Policy.PolicySummary.Arn, FULL_AWS_ACCESS.arn);
    const targets = await w.tree.listTargetsForPolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess' });
    assert.equal(targets.Targets.length, 7);
    assert.ok(
      targets.Targets.some((t) => t.TargetId === w.org.rootId && t.Type === 'ROOT' && t.Name === 'Root'),
    );
  });

  test('policies are validated as SCPs, unique by name, updated, listed and deleted when detached', async () => {
    const w = await world();
    const create = (Name: string, Content: string) =>
      w.tree.createPolicy(w.mgmt, { Name, Content, Description: 'd', Type: 'SERVICE_CONTROL_POLICY' });
    const { Policy } = await create('DenyPull', scp('Deny', 'ecr:BatchGetImage'));
    assert.match(Policy.PolicySummary.Id, /^p-[a-z0-9]{8}$/);
    assert.equal(
      Policy.PolicySummary.Arn,
      `arn:aws:organizations::${MGMT}:policy/${w.org.id}/service_control_policy/${Policy.PolicySummary.Id}`,
    );
    await rejectsCode(create('denypull', scp('Deny', 'ecr:*')), 'DuplicatePolicyException');
    await rejectsCode(create('bad', '{"Statement":'), 'MalformedPolicyDocumentException');
    const withPrincipal = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 'ecr:*', Resource: '*' }],
    });
    await rejectsCode(create('principal', withPrincipal), 'MalformedPolicyDocumentException');
    await rejectsCode(
      create('huge', scp('Deny', 'ecr:' + 'x'.repeat(5200))),
      'ConstraintViolationException',
      'POLICY_CONTENT_LIMIT_EXCEEDED',
    );
    await rejectsCode(
      w.tree.createPolicy(w.mgmt, {
        Name: 't',
        Content: scp('Deny', 'ecr:*'),
        Description: '',
        Type: 'TAG_POLICY',
      }),
      'PolicyTypeNotAvailableForOrganizationException',
    );
    const id = Policy.PolicySummary.Id;
    const updated = await w.tree.updatePolicy(w.mgmt, {
      PolicyId: id,
      Name: 'DenyEcrPull',
      Content: scp('Deny', 'ecr:*'),
    });
    assert.equal(updated.Policy.PolicySummary.Name, 'DenyEcrPull');
    assert.equal(updated.Policy.Content, scp('Deny', 'ecr:*'));
    await rejectsCode(
      w.tree.updatePolicy(w.mgmt, { PolicyId: id, Content: '{' }),
      'MalformedPolicyDocumentException',
    );
    await rejectsCode(
      w.tree.updatePolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess', Name: 'x' }),
      'InvalidInputException',
    );
    await rejectsCode(w.tree.deletePolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess' }), 'InvalidInputException');
    await rejectsCode(w.tree.describePolicy(w.mgmt, { PolicyId: 'p-zzzzzzzz' }), 'PolicyNotFoundException');
    assert.deepEqual(
      (await w.tree.listPolicies(w.mgmt, { Filter: 'SERVICE_CONTROL_POLICY' })).Policies.map((p) => p.Name),
      ['FullAWSAccess', 'DenyEcrPull'],
    );
    assert.deepEqual((await w.tree.listPolicies(w.mgmt, { Filter: 'TAG_POLICY' })).Policies, []);
    await rejectsCode(
      w.tree.attachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV }),
      'PolicyTypeNotEnabledException',
    );
    await w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    await w.tree.attachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV });
    await rejectsCode(
      w.tree.attachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV }),
      'DuplicatePolicyAttachmentException',
    );
    await rejectsCode(
      w.tree.attachPolicy(w.mgmt, { PolicyId: id, TargetId: '999999999999' }),
      'TargetNotFoundException',
    );
    await rejectsCode(w.tree.deletePolicy(w.mgmt, { PolicyId: id }), 'PolicyInUseException');
    await w.tree.detachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV });
    await rejectsCode(
      w.tree.detachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV }),
      'PolicyNotAttachedException',
    );
    await w.tree.deletePolicy(w.mgmt, { PolicyId: id });
    await rejectsCode(w.tree.deletePolicy(w.mgmt, { PolicyId: id }), 'PolicyNotFoundException');
  });

  test('a target keeps at least one SCP and has at most five', async () => {
    const w = await world();
    await w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    await rejectsCode(
      w.tree.detachPolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess', TargetId: DEV }),
      'ConstraintViolationException',
      'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { Policy } = await w.tree.createPolicy(w.mgmt, {
        Name: `p${i}`,
        Content: scp('Allow', `ecr:Action${i}`),
        Description: '',
        Type: 'SERVICE_CONTROL_POLICY',
      });
      ids.push(Policy.PolicySummary.Id);
    }
    for (const id of ids.slice(0, 4)) await w.tree.attachPolicy(w.mgmt, { PolicyId: id, TargetId: DEV });
    await rejectsCode(
      w.tree.attachPolicy(w.mgmt, { PolicyId: ids[4]!, TargetId: DEV }),
      'ConstraintViolationException',
      'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
    );
    await w.tree.detachPolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess', TargetId: DEV });
  });

  test('an SCP deny on an OU blocks a member account role that IAM allows; the management account is unaffected', async () => {
    const w = await world();
    const { OrganizationalUnit: ou } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Prod',
    });
    await w.tree.moveAccount(w.mgmt, {
      AccountId: PROD,
      SourceParentId: w.org.rootId,
      DestinationParentId: ou.Id,
    });
    await w.tree.moveAccount(w.mgmt, {
      AccountId: MGMT,
      SourceParentId: w.org.rootId,
      DestinationParentId: ou.Id,
    });
    assert.equal((await w.pull(await w.admin(PROD))).decision, 'Allow');
    await w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    assert.equal((await w.pull(await w.admin(PROD))).decision, 'Allow');
    const { Policy } = await w.tree.createPolicy(w.mgmt, {
      Name: 'NoPull',
      Content: scp('Deny', 'ecr:BatchGetImage'),
      Description: '',
      Type: 'SERVICE_CONTROL_POLICY',
    });
    await w.tree.attachPolicy(w.mgmt, { PolicyId: Policy.PolicySummary.Id, TargetId: ou.Id });
    const denied = await w.pull(await w.admin(PROD));
    assert.equal(denied.decision, 'ExplicitDeny');
    assert.equal(denied.denial?.by, 'scp');
    assert.match(denied.message!, /with an explicit deny in a service control policy$/);
    assert.ok(denied.matched.some((m) => m.policyType === 'scp' && m.policyId === Policy.PolicySummary.Id));
    // The account root of the member account is bound by SCPs too.
    assert.equal((await w.pull(await w.caller(PROD))).decision, 'ExplicitDeny');
    // Another member account outside the OU, and the management account inside it, are not.
    assert.equal((await w.pull(await w.admin(DEV))).decision, 'Allow');
    assert.equal((await w.pull(await w.caller(MGMT))).decision, 'Allow');
    // Other actions stay allowed: the OU still has FullAWSAccess.
    assert.equal((await w.pull(await w.admin(PROD), 'ecr:DescribeImages')).decision, 'Allow');
  });

  test('every level must allow: FullAWSAccess detached from an OU leaves an implicit deny', async () => {
    const w = await world();
    await w.tree.enablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    const { OrganizationalUnit: ou } = await w.tree.createOrganizationalUnit(w.mgmt, {
      ParentId: w.org.rootId,
      Name: 'Sandbox',
    });
    await w.tree.moveAccount(w.mgmt, {
      AccountId: DEV,
      SourceParentId: w.org.rootId,
      DestinationParentId: ou.Id,
    });
    const { Policy } = await w.tree.createPolicy(w.mgmt, {
      Name: 'OnlyIam',
      Content: scp('Allow', 'iam:*'),
      Description: '',
      Type: 'SERVICE_CONTROL_POLICY',
    });
    await w.tree.attachPolicy(w.mgmt, { PolicyId: Policy.PolicySummary.Id, TargetId: ou.Id });
    await w.tree.detachPolicy(w.mgmt, { PolicyId: 'p-FullAWSAccess', TargetId: ou.Id });
    const denied = await w.pull(await w.admin(DEV));
    assert.equal(denied.decision, 'ImplicitDeny');
    assert.equal(denied.denial?.by, 'scp');
    assert.match(denied.message!, /because no service control policy allows the ecr:BatchGetImage action$/);
    // An allow at the account level does not make up for the OU.
    await w.tree.attachPolicy(w.mgmt, { PolicyId: Policy.PolicySummary.Id, TargetId: DEV });
    assert.equal((await w.pull(await w.admin(DEV))).decision, 'ImplicitDeny');
    // Disabling SCPs lifts them all.
    await w.tree.disablePolicyType(w.mgmt, { RootId: w.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' });
    assert.equal((await w.pull(await w.admin(DEV))).decision, 'Allow');
  });
});
