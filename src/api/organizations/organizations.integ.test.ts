// Organizations' tree and service control policies over HTTP with the real AWS SDK v3 client
// against a started server (SQLite store): awsJson1_1 shapes as the SDK parses them, AWS's error
// codes, statuses and `Reason`s, and SCPs taking effect on the next request of a member account
// (the door keeps the SCP chain between writes, so this also checks that a write drops it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeleteOrganizationalUnitCommand,
  DeletePolicyCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  DisablePolicyTypeCommand,
  EnablePolicyTypeCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  MoveAccountCommand,
  OrganizationsClient,
  UpdateOrganizationalUnitCommand,
  UpdatePolicyCommand,
  type OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import {
  sdkCredentials,
  startServer,
  type AccountCredentials,
  type TestServer,
} from '../../../test/helpers/server.js';

const deny = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });

async function fails(p: Promise<unknown>, code: string, status: number, reason?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as OrganizationsServiceException & { Reason?: string };
    assert.equal(err.name, code, err.message);
    assert.equal(err.$metadata.httpStatusCode, status);
    if (reason !== undefined) assert.equal(err.Reason, reason);
    return true;
  });
}

describe('Organizations tree and SCPs over HTTP (SDK v3)', () => {
  let t: TestServer;
  let org: OrganizationsClient;
  let member: AccountCredentials;
  let rootId: string;
  const clientOf = (c: AccountCredentials) =>
    new OrganizationsClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: sdkCredentials(c) });

  before(async () => {
    t = await startServer();
    org = clientOf(t.management);
    member = await t.createAccount('member-one');
    rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  });
  after(async () => {
    org?.destroy();
    await t?.stop();
  });

  test('roots, OUs, moves and listings in AWS shapes; member accounts are refused', async () => {
    const roots = await org.send(new ListRootsCommand({}));
    assert.match(rootId, /^r-[a-z0-9]{4}$/);
    assert.equal(roots.Roots![0]!.Name, 'Root');
    assert.deepEqual(roots.Roots![0]!.PolicyTypes, []);
    const ou = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Apps' })))
      .OrganizationalUnit!;
    assert.match(ou.Id!, /^ou-[a-z0-9]{4}-[a-z0-9]{8}$/);
    assert.match(ou.Arn!, /^arn:aws:organizations::\d{12}:ou\/o-[a-z0-9]{10}\/ou-/);
    await fails(
      org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'apps' })),
      'DuplicateOrganizationalUnitException',
      409,
    );
    await org.send(
      new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: ou.Id, Name: 'Applications' }),
    );
    assert.equal(
      (await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ou.Id })))
        .OrganizationalUnit!.Name,
      'Applications',
    );
    await org.send(
      new MoveAccountCommand({
        AccountId: member.AccountId,
        SourceParentId: rootId,
        DestinationParentId: ou.Id,
      }),
    );
    const under = await org.send(new ListAccountsForParentCommand({ ParentId: ou.Id }));
    assert.deepEqual(
      under.Accounts!.map((a) => a.Id),
      [member.AccountId],
    );
    assert.ok(under.Accounts![0]!.JoinedTimestamp instanceof Date);
    assert.deepEqual(
      (await org.send(new ListChildrenCommand({ ParentId: rootId, ChildType: 'ORGANIZATIONAL_UNIT' })))
        .Children,
      [{ Id: ou.Id, Type: 'ORGANIZATIONAL_UNIT' }],
    );
    assert.deepEqual(
      (
        await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))
      ).OrganizationalUnits!.map((o) => o.Name),
      ['Applications'],
    );
    await fails(
      org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ou.Id })),
      'OrganizationalUnitNotEmptyException',
      409,
    );
    await fails(
      org.send(new ListChildrenCommand({ ParentId: 'ou-zzzz-zzzzzzzz', ChildType: 'ACCOUNT' })),
      'ParentNotFoundException',
      404,
    );
    const asMember = clientOf(member);
    try {
      await fails(asMember.send(new ListRootsCommand({})), 'AccessDeniedException', 403);
    } finally {
      asMember.destroy();
    }
    await org.send(
      new MoveAccountCommand({
        AccountId: member.AccountId,
        SourceParentId: ou.Id,
        DestinationParentId: rootId,
      }),
    );
    await org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ou.Id }));
  });

  test('SCPs: enable, create, attach, the next request is denied, detach rules, disable', async () => {
    const iam = new IAMClient({
      endpoint: t.endpoint,
      region: 'us-east-1',
      credentials: sdkCredentials(member),
    });
    try {
      await fails(
        org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: rootId })),
        'PolicyTypeNotEnabledException',
        409,
      );
      const enabled = await org.send(
        new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }),
      );
      assert.deepEqual(enabled.Root!.PolicyTypes, [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }]);
      await fails(
        org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' })),
        'PolicyTypeAlreadyEnabledException',
        409,
      );
      // Accounts created from now on get FullAWSAccess, as AWS attaches it.
      const created = await org.send(
        new CreateAccountCommand({ Email: 'later@example.com', AccountName: 'later' }),
      );
      const laterId = created.CreateAccountStatus!.AccountId!;
      assert.deepEqual(
        (
          await org.send(
            new ListPoliciesForTargetCommand({ TargetId: laterId, Filter: 'SERVICE_CONTROL_POLICY' }),
          )
        ).Policies!.map((p) => p.Id),
        ['p-FullAWSAccess'],
      );

      await fails(
        org.send(
          new CreatePolicyCommand({
            Name: 'broken',
            Description: '',
            Type: 'SERVICE_CONTROL_POLICY',
            Content: '{"Version":"2012-10-17"}',
          }),
        ),
        'MalformedPolicyDocumentException',
        400,
      );
      const policy = (
        await org.send(
          new CreatePolicyCommand({
            Name: 'no-iam-lists',
            Description: 'd',
            Type: 'SERVICE_CONTROL_POLICY',
            Content: deny('iam:ListUsers'),
          }),
        )
      ).Policy!;
      const id = policy.PolicySummary!.Id!;
      assert.equal(policy.PolicySummary!.AwsManaged, false);
      assert.equal(policy.Content, deny('iam:ListUsers'));
      assert.deepEqual(
        (await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies!.map(
          (p) => p.Name,
        ),
        ['FullAWSAccess', 'no-iam-lists'],
      );
      const full = await org.send(new DescribePolicyCommand({ PolicyId: 'p-FullAWSAccess' }));
      assert.equal(full.Policy!.PolicySummary!.AwsManaged, true);

      await iam.send(new ListUsersCommand({}));
      await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member.AccountId }));
      await assert.rejects(iam.send(new ListUsersCommand({})), (e: Error) => {
        assert.equal(e.name, 'AccessDenied');
        assert.match(e.message, /with an explicit deny in a service control policy$/);
        return true;
      });
      // Changing the document takes effect at once too.
      await org.send(new UpdatePolicyCommand({ PolicyId: id, Content: deny('iam:ListRoles') }));
      await iam.send(new ListUsersCommand({}));
      assert.deepEqual(
        (await org.send(new ListTargetsForPolicyCommand({ PolicyId: id }))).Targets!.map((x) => [
          x.TargetId,
          x.Type,
        ]),
        [[member.AccountId, 'ACCOUNT']],
      );
      await fails(
        org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member.AccountId })),
        'DuplicatePolicyAttachmentException',
        409,
      );
      await fails(
        org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: '999999999999' })),
        'TargetNotFoundException',
        404,
      );
      await fails(org.send(new DeletePolicyCommand({ PolicyId: id })), 'PolicyInUseException', 409);
      await fails(
        org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: laterId })),
        'ConstraintViolationException',
        409,
        'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
      );
      // Without FullAWSAccess on the account, only what its SCPs allow is left: nothing.
      await org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: member.AccountId }));
      await assert.rejects(iam.send(new ListUsersCommand({})), (e: Error) => {
        assert.match(e.message, /because no service control policy allows the iam:ListUsers action$/);
        return true;
      });
      await fails(
        org.send(new DescribePolicyCommand({ PolicyId: 'p-zzzzzzzz' })),
        'PolicyNotFoundException',
        404,
      );

      await org.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
      await iam.send(new ListUsersCommand({}));
      assert.deepEqual((await org.send(new ListTargetsForPolicyCommand({ PolicyId: id }))).Targets, []);
      await org.send(new DeletePolicyCommand({ PolicyId: id }));
    } finally {
      iam.destroy();
    }
  });
});
