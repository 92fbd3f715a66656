// The IAM adapter through the awsQuery codec without a socket: forms as the SDK/CLI send them are
// decoded against IAM_OPERATIONS, answered by the service, and encoded as IAM's XML, members in
// the API's order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { principalOf, type Caller } from '../../auth/caller.js';
import { PolicyCache } from '../../iam/index.js';
import { Authorizer } from '../../services/authz.js';
import { IamService } from '../../services/iam/index.js';
import { IdFactory } from '../../services/ids.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../../store/meta/secrets.js';
import { toWireError } from '../adapter.js';
import {
  decodeQueryOperation,
  encodeQueryError,
  encodeQueryResult,
  IAM_QUERY,
} from '../protocol/awsQuery.js';
import { AwsError } from '../protocol/errors.js';
import { iamApi, IAM_OPERATIONS } from './index.js';

const A = '111111111111';
const T0 = Date.parse('2026-11-23T12:00:00Z');

async function setup() {
  const store = new MemoryMetadataStore();
  const clock = { now: () => T0 };
  const cache = new PolicyCache();
  let n = 0;
  const ids = new IdFactory({
    bytes: (len) => createHash('sha256').update(String(n++)).digest().subarray(0, len),
  });
  const service = new IamService({
    store,
    authz: new Authorizer({ store, cache, clock }),
    clock,
    ids,
    box: SecretBox.fromKey(Buffer.alloc(32, 9)),
    cache,
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
  const caller: Caller = {
    principal: principalOf(account, { kind: 'root' }),
    account,
    accessKeyId: 'AKIAROOTROOTROOTROOT',
    identity: { kind: 'root' },
    request: { sourceIp: '127.0.0.1', secure: false, region: 'us-east-1' },
  };
  const api = iamApi(service);
  /** One request as a form body; answers the XML body (or the error's). */
  async function call(form: Record<string, string>): Promise<{ status: number; body: string }> {
    const body = new URLSearchParams({ Version: '2010-05-08', ...form }).toString();
    try {
      const op = decodeQueryOperation(IAM_QUERY, api.operations, { body });
      const result = await api.handle(op, { caller, requestId: 'req-1' });
      return encodeQueryResult(IAM_QUERY, op.operation, result, 'req-1');
    } catch (e) {
      return encodeQueryError(IAM_QUERY, e instanceof AwsError ? e : toWireError('iam', e), 'req-1');
    }
  }
  return { call };
}

const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';

describe('iamApi over the awsQuery codec', () => {
  test('CreateRole decodes Tags.member.N and answers the Role in the API member order', async () => {
    const { call } = await setup();
    const r = await call({
      Action: 'CreateRole',
      RoleName: 'App',
      Path: '/team/',
      AssumeRolePolicyDocument: TRUST,
      Description: 'a&b',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'pay ments',
    });
    assert.equal(r.status, 200);
    const order = [
      'Path',
      'RoleName',
      'RoleId',
      'Arn',
      'CreateDate',
      'AssumeRolePolicyDocument',
      'Description',
      'MaxSessionDuration',
      'Tags',
    ];
    const at = order.map((m) => r.body.indexOf(`<${m}>`));
    assert.ok(
      at.every((i) => i > 0),
      r.body,
    );
    assert.deepEqual(
      [...at].sort((x, y) => x - y),
      at,
    );
    assert.match(
      r.body,
      /<CreateRoleResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><CreateRoleResult><Role>/,
    );
    assert.match(
      r.body,
      /<Description>a&amp;b<\/Description>.*<Tags><member><Key>team<\/Key><Value>pay ments<\/Value><\/member><\/Tags>/,
    );
    assert.match(r.body, /<CreateDate>2026-11-23T12:00:00(\.000)?Z<\/CreateDate>/);
    assert.ok(
      r.body.includes(`<AssumeRolePolicyDocument>${encodeURIComponent(TRUST)}</AssumeRolePolicyDocument>`),
    );
  });

  test('operations without output answer no Result element; errors answer IAM codes and statuses', async () => {
    const { call } = await setup();
    await call({ Action: 'CreateRole', RoleName: 'r', AssumeRolePolicyDocument: TRUST });
    const put = await call({
      Action: 'PutRolePolicy',
      RoleName: 'r',
      PolicyName: 'p',
      PolicyDocument:
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}',
    });
    assert.equal(put.status, 200);
    assert.ok(!put.body.includes('PutRolePolicyResult'), put.body);
    const missing = await call({ Action: 'GetRole', RoleName: 'nope' });
    assert.equal(missing.status, 404);
    assert.match(
      missing.body,
      /<Code>NoSuchEntity<\/Code><Message>The role with name nope cannot be found.<\/Message>/,
    );
    const conflict = await call({ Action: 'DeleteRole', RoleName: 'r' });
    assert.equal(conflict.status, 409);
    assert.match(conflict.body, /<Code>DeleteConflict<\/Code>/);
    const required = await call({ Action: 'GetRole' });
    assert.equal(required.status, 400);
    assert.match(required.body, /<Code>ValidationError<\/Code>/);
    const unknown = await call({ Action: 'CreateLoginProfile', UserName: 'u', Password: 'p' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /<Code>InvalidAction<\/Code>/);
  });

  test('lists end with IsTruncated then Marker; every operation has a shape', async () => {
    const { call } = await setup();
    for (const n of ['a', 'b']) await call({ Action: 'CreateUser', UserName: n });
    const page = await call({ Action: 'ListUsers', MaxItems: '1' });
    assert.match(
      page.body,
      /<\/Users><IsTruncated>true<\/IsTruncated><Marker>[^<]+<\/Marker><\/ListUsersResult>/,
    );
    assert.ok(Object.keys(IAM_OPERATIONS).length >= 50);
  });
});
