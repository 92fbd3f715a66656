// `crossdock access` against a started crossdock with three accounts of one organization, set up
// with the SDK as a user would. A owns `app` (its policy names B's role for pull and B's user for
// push), `base` (Principal "*" without a condition: the public finding) and `internal` (Principal
// "*" limited by aws:PrincipalOrgID: the organization finding). B's role and user have the
// matching identity policies; C has a user without ECR permissions and a role allowed to pull
// anything but not named by A. Every account also has OrganizationAccountAccessRole (administrator),
// as Organizations creates it. The command runs in-process with profiles from a temporary
// credentials file, and must list exactly the expected principals per repository. One row is
// checked against the server: C's user really is denied, B's user really may push.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  ECRClient,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { accessCommand } from '../../src/cli/access.js';
import type { MatrixRow } from '../../src/cli/analysis/matrix.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const REGION = 'us-east-1';
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const PUSH = [
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchCheckLayerAvailability',
];
const ADMIN = 'OrganizationAccountAccessRole';

let t: TestServer;
let A: AccountCredentials;
let B: AccountCredentials;
let C: AccountCredentials;
let orgId: string;
let dir: string;
let pusherKey: { accessKeyId: string; secretAccessKey: string };
let nobodyKey: { accessKeyId: string; secretAccessKey: string };
const savedEnv: Record<string, string | undefined> = {};

const keys = (c: AccountCredentials) => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey });
const config = (c: { accessKeyId: string; secretAccessKey: string }) => ({
  endpoint: t.endpoint,
  region: REGION,
  credentials: c,
  maxAttempts: 1,
});
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${A.AccountId}:repository/${name}`;
const token = { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' };

async function newKey(iam: IAMClient, user: string) {
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

before(async () => {
  t = await startServer({ region: REGION });
  [A, B, C] = await Promise.all([
    t.createAccount('access-owner'),
    t.createAccount('access-consumer'),
    t.createAccount('access-other'),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'crossdock-access-'));
  const credentials = join(dir, 'credentials');
  await writeFile(
    credentials,
    [['a', A] as const, ['b', B] as const, ['c', C] as const]
      .map(
        ([n, k]) =>
          `[${n}]\naws_access_key_id = ${k.AccessKeyId}\naws_secret_access_key = ${k.SecretAccessKey}\n`,
      )
      .join(''),
  );
  await writeFile(join(dir, 'config'), '');
  const set = {
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_REGION: REGION,
  };
  const unset = [
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'CROSSDOCK_ENDPOINT',
  ];
  for (const k of [...Object.keys(set), ...unset]) savedEnv[k] = process.env[k];
  Object.assign(process.env, set);
  for (const k of unset) delete process.env[k];

  orgId = (await new OrganizationsClient(config(keys(A))).send(new DescribeOrganizationCommand({})))
    .Organization!.Id!;

  // B: a role that pulls app, a user that pushes it.
  const iamB = new IAMClient(config(keys(B)));
  const trust = (account: string) =>
    doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' });
  await iamB.send(
    new CreateRoleCommand({ RoleName: 'puller', AssumeRolePolicyDocument: trust(B.AccountId) }),
  );
  await iamB.send(
    new PutRolePolicyCommand({
      RoleName: 'puller',
      PolicyName: 'pull-app',
      PolicyDocument: doc(token, { Effect: 'Allow', Action: PULL, Resource: repoArn('app') }),
    }),
  );
  await iamB.send(new CreateUserCommand({ UserName: 'pusher' }));
  await iamB.send(
    new PutUserPolicyCommand({
      UserName: 'pusher',
      PolicyName: 'push-app',
      PolicyDocument: doc(token, { Effect: 'Allow', Action: [...PULL, ...PUSH], Resource: repoArn('app') }),
    }),
  );
  pusherKey = await newKey(iamB, 'pusher');

  // C: a user without ECR permissions, a role that may pull anything but is not named by A.
  const iamC = new IAMClient(config(keys(C)));
  await iamC.send(new CreateUserCommand({ UserName: 'nobody' }));
  await iamC.send(
    new PutUserPolicyCommand({
      UserName: 'nobody',
      PolicyName: 'read-buckets',
      PolicyDocument: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
    }),
  );
  nobodyKey = await newKey(iamC, 'nobody');
  await iamC.send(
    new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: trust(C.AccountId) }),
  );
  await iamC.send(
    new PutRolePolicyCommand({
      RoleName: 'reader',
      PolicyName: 'pull-anything',
      PolicyDocument: doc(token, { Effect: 'Allow', Action: PULL, Resource: 'arn:aws:ecr:*:*:repository/*' }),
    }),
  );

  // A: the repositories (last: a repository policy may only name principals that exist).
  const ecrA = new ECRClient(config(keys(A)));
  const policies: Record<string, string> = {
    app: doc(
      {
        Sid: 'PullB',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B.AccountId}:role/puller` },
        Action: PULL,
      },
      {
        Sid: 'PushB',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B.AccountId}:user/pusher` },
        Action: [...PULL, ...PUSH],
      },
    ),
    base: doc({ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: PULL }),
    internal: doc({
      Sid: 'Org',
      Effect: 'Allow',
      Principal: '*',
      Action: PULL,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': orgId } },
    }),
  };
  for (const [name, policyText] of Object.entries(policies)) {
    await ecrA.send(new CreateRepositoryCommand({ repositoryName: name }));
    await ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText }));
  }
});

after(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await t?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Runs `crossdock access` in-process; returns the exit code and what it printed. */
async function access(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await accessCommand(['--profiles', 'a,b,c', '--endpoint', t.endpoint, ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** `repository principal pull|- push|- [flags]`, principals shortened to `ACCOUNT:kind/name`. */
function summary(rows: readonly MatrixRow[]): string[] {
  return rows.map(
    (r) =>
      `${r.repositoryName} ${r.principal.replace(/^arn:aws:iam::/, '')} ${r.pull ? 'pull' : '-'} ` +
      `${r.push ? 'push' : '-'}${r.flags.length > 0 ? ` [${r.flags.join(',')}]` : ''}`,
  );
}

describe('crossdock access', () => {
  test('lists exactly who can pull and push each repository, with the external and public flags', async () => {
    const r = await access('--format', 'json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { accounts: string[]; rows: MatrixRow[]; notConsidered: unknown[] };
    assert.deepEqual(json.accounts, [A.AccountId, B.AccountId, C.AccountId]);
    const a = A.AccountId;
    const b = B.AccountId;
    const c = C.AccountId;
    const sorted = (xs: string[]) => [...xs].sort();
    const byRepo = (name: string) => sorted(summary(json.rows.filter((x) => x.repositoryName === name)));
    assert.deepEqual(
      byRepo('app'),
      sorted([
        `app ${a}:role/${ADMIN} pull push`,
        `app ${b}:role/puller pull - [external]`,
        `app ${b}:user/pusher pull push [external]`,
      ]),
    );
    assert.deepEqual(
      byRepo('base'),
      sorted([
        `base ${a}:role/${ADMIN} pull push`,
        `base ${b}:role/${ADMIN} pull - [external,via-wildcard]`,
        `base ${c}:role/${ADMIN} pull - [external,via-wildcard]`,
        `base ${c}:role/reader pull - [external,via-wildcard]`,
        'base * pull - [external,public,identity-unknown]',
      ]),
    );
    assert.deepEqual(
      byRepo('internal'),
      sorted([
        `internal ${a}:role/${ADMIN} pull push`,
        `internal ${b}:role/${ADMIN} pull - [external,via-wildcard]`,
        `internal ${c}:role/${ADMIN} pull - [external,via-wildcard]`,
        `internal ${c}:role/reader pull - [external,via-wildcard]`,
        'internal * pull - [external,organization,identity-unknown]',
      ]),
    );
    assert.equal(json.rows.length, 13, 'no repositories of B or C, nothing else');
    assert.ok(!r.out.includes('user/nobody'));
  });

  test('the server agrees: B’s user may push app, C’s user may not even list it', async () => {
    const asPusher = new ECRClient(config(pusherKey));
    const up = await asPusher.send(
      new InitiateLayerUploadCommand({ registryId: A.AccountId, repositoryName: 'app' }),
    );
    assert.ok(up.uploadId !== undefined);
    const asNobody = new ECRClient(config(nobodyKey));
    await assert.rejects(
      asNobody.send(new ListImagesCommand({ registryId: A.AccountId, repositoryName: 'base' })),
      (e: Error) => e.name === 'AccessDeniedException',
    );
  });

  test('the table marks pull and push and flags EXTERNAL and PUBLIC; --account and csv work', async () => {
    const table = await access('--account', A.AccountId);
    assert.equal(table.code, 0, table.err);
    assert.match(
      table.out,
      new RegExp(
        `^${A.AccountId}/app\\s+arn:aws:iam::${B.AccountId}:user/pusher\\s+yes\\s+yes\\s+EXTERNAL$`,
        'm',
      ),
    );
    assert.match(table.out, new RegExp(`^${A.AccountId}/base\\s+\\*\\s+yes\\s+-\\s+PUBLIC EXTERNAL`, 'm'));
    assert.match(
      table.out,
      new RegExp(`^${A.AccountId}/internal\\s+\\* \\(organization\\)\\s+yes\\s+-\\s+ORG EXTERNAL`, 'm'),
    );

    const csv = await access('--format', 'csv', '--account', B.AccountId);
    assert.equal(csv.code, 0, csv.err);
    assert.equal(
      csv.out,
      'repository,repository_account,principal,principal_account,principal_kind,pull,push,flags,note',
    );
  });

  test('a bad --format is a usage error', async () => {
    const r = await access('--format', 'yaml');
    assert.equal(r.code, 2);
    assert.match(r.err, /--format takes table, json or csv/);
  });
});
