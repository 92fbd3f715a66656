// IAM groups over HTTP with the real AWS SDK v3 client against a started server (SQLite store):
// the group operations with AWS's codes and statuses, and a user's permissions through its groups
// (granted by joining, gone after leaving, even though the door keeps derived reads between writes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
  type IAMServiceException,
} from '@aws-sdk/client-iam';
import { sdkCredentials, startServer, type TestServer } from '../../../test/helpers/server.js';

const READ_ONLY = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
const LIST_GROUPS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iam:ListGroups', 'iam:GetGroup'], Resource: '*' }],
});

async function fails(p: Promise<unknown>, code: string, status: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as IAMServiceException;
    // The SDK names modelled errors `<Code>Exception`; the wire code is `<Code>`.
    assert.equal(err.name.replace(/Exception$/, ''), code);
    assert.equal(err.$metadata.httpStatusCode, status);
    return true;
  });
}

describe('IAM groups over HTTP (SDK v3)', () => {
  let t: TestServer;
  let iam: IAMClient;
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new IAMClient({ endpoint: t.endpoint, region: 'us-east-1', credentials });

  before(async () => {
    t = await startServer();
    iam = client(sdkCredentials(t.management));
  });
  after(async () => {
    iam?.destroy();
    await t?.stop();
  });

  test('create, get with paginated users, list by path, rename and delete', async () => {
    const { Group } = await iam.send(new CreateGroupCommand({ GroupName: 'Devs', Path: '/eng/' }));
    assert.match(Group!.GroupId!, /^AGPA/);
    assert.equal(Group!.Arn, `arn:aws:iam::${t.management.AccountId}:group/eng/Devs`);
    assert.ok(Group!.CreateDate instanceof Date);
    await fails(iam.send(new CreateGroupCommand({ GroupName: 'devs' })), 'EntityAlreadyExists', 409);
    for (const u of ['u1', 'u2', 'u3']) {
      await iam.send(new CreateUserCommand({ UserName: u }));
      await iam.send(new AddUserToGroupCommand({ GroupName: 'Devs', UserName: u }));
    }
    const page = await iam.send(new GetGroupCommand({ GroupName: 'Devs', MaxItems: 2 }));
    assert.deepEqual(
      page.Users!.map((u) => u.UserName),
      ['u1', 'u2'],
    );
    assert.equal(page.IsTruncated, true);
    const rest = await iam.send(new GetGroupCommand({ GroupName: 'Devs', Marker: page.Marker }));
    assert.deepEqual(
      rest.Users!.map((u) => u.UserName),
      ['u3'],
    );
    assert.deepEqual(
      (await iam.send(new ListGroupsCommand({ PathPrefix: '/eng/' }))).Groups!.map((g) => g.GroupName),
      ['Devs'],
    );
    assert.deepEqual(
      (await iam.send(new ListGroupsForUserCommand({ UserName: 'u2' }))).Groups!.map((g) => g.GroupName),
      ['Devs'],
    );
    await fails(iam.send(new DeleteGroupCommand({ GroupName: 'Devs' })), 'DeleteConflict', 409);
    await fails(iam.send(new DeleteUserCommand({ UserName: 'u1' })), 'DeleteConflict', 409);
    await iam.send(new UpdateGroupCommand({ GroupName: 'Devs', NewGroupName: 'Builders', NewPath: '/' }));
    await fails(iam.send(new GetGroupCommand({ GroupName: 'Devs' })), 'NoSuchEntity', 404);
    for (const u of ['u1', 'u2', 'u3']) {
      await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Builders', UserName: u }));
      await iam.send(new DeleteUserCommand({ UserName: u }));
    }
    await iam.send(new DeleteGroupCommand({ GroupName: 'Builders' }));
    await fails(iam.send(new DeleteGroupCommand({ GroupName: 'Builders' })), 'NoSuchEntity', 404);
  });

  test('inline and attached group policies, and ListEntitiesForPolicy names the group', async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'Readers' }));
    await iam.send(
      new PutGroupPolicyCommand({ GroupName: 'Readers', PolicyName: 'list', PolicyDocument: LIST_GROUPS }),
    );
    const got = await iam.send(new GetGroupPolicyCommand({ GroupName: 'Readers', PolicyName: 'list' }));
    assert.equal(decodeURIComponent(got.PolicyDocument!), LIST_GROUPS);
    assert.deepEqual((await iam.send(new ListGroupPoliciesCommand({ GroupName: 'Readers' }))).PolicyNames, [
      'list',
    ]);
    await fails(
      iam.send(new PutGroupPolicyCommand({ GroupName: 'Readers', PolicyName: 'x', PolicyDocument: '{' })),
      'MalformedPolicyDocument',
      400,
    );
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'Readers', PolicyArn: READ_ONLY }));
    assert.deepEqual(
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'Readers' }))).AttachedPolicies,
      [{ PolicyName: 'AmazonEC2ContainerRegistryReadOnly', PolicyArn: READ_ONLY }],
    );
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: READ_ONLY }));
    assert.deepEqual(
      entities.PolicyGroups!.map((g) => g.GroupName),
      ['Readers'],
    );
    assert.match(entities.PolicyGroups![0]!.GroupId!, /^AGPA/);
    await fails(iam.send(new DeleteGroupCommand({ GroupName: 'Readers' })), 'DeleteConflict', 409);
    await iam.send(new DetachGroupPolicyCommand({ GroupName: 'Readers', PolicyArn: READ_ONLY }));
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: 'Readers', PolicyName: 'list' }));
    await iam.send(new DeleteGroupCommand({ GroupName: 'Readers' }));
  });

  test("a user may do what its group's policy allows, and no longer once removed", async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'Listers' }));
    await iam.send(
      new PutGroupPolicyCommand({ GroupName: 'Listers', PolicyName: 'list', PolicyDocument: LIST_GROUPS }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'dana' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'dana' }));
    const dana = client({
      accessKeyId: AccessKey!.AccessKeyId!,
      secretAccessKey: AccessKey!.SecretAccessKey!,
    });
    try {
      await fails(dana.send(new ListGroupsCommand({})), 'AccessDenied', 403);
      await iam.send(new AddUserToGroupCommand({ GroupName: 'Listers', UserName: 'dana' }));
      // Twice in a row: the second answer may come from the door's kept reads.
      for (let i = 0; i < 2; i++) {
        const groups = await dana.send(new ListGroupsCommand({}));
        assert.ok(groups.Groups!.some((g) => g.GroupName === 'Listers'));
      }
      await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Listers', UserName: 'dana' }));
      await fails(dana.send(new ListGroupsCommand({})), 'AccessDenied', 403);
      // Removing a user that is no longer a member changes nothing, as IAM answers.
      await iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Listers', UserName: 'dana' }));
      await fails(
        iam.send(new RemoveUserFromGroupCommand({ GroupName: 'Listers', UserName: 'nobody' })),
        'NoSuchEntity',
        404,
      );
    } finally {
      dana.destroy();
    }
  });
});
