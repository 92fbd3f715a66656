// `crossdock explain` and `crossdock lint` against a started crossdock, for the common ways a
// cross-account pull fails: one side granted but not the other (both ways round), a login token
// scoped to a repository, an account (root) principal where a role was meant, Lambda's service
// principal without aws:SourceArn, an explicit Deny, a tag condition that does not hold, the task
// role granted where ECS pulls with the task execution role, and ECR's opaque "Invalid repository
// policy provided" (a Resource element, a role that does not exist: `lint --profile` looks it up).
// Everything is set up with the SDK as a user would; the commands run in-process with their
// output captured, reading policies through profiles of a temporary credentials file. Each
// denial explain predicts is checked against the server: the same role session really calls ECR,
// and the AccessDenied sentence must be word for word the one explain printed. Applying the fix
// explain proposes must then let the real call through.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DisablePolicyTypeCommand,
  EnablePolicyTypeCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { explainCommand } from '../../src/cli/explain.js';
import { startInstanceProfile } from '../../src/cli/instanceProfile.js';
import { lintCommand } from '../../src/cli/lint.js';
import { startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

const REGION = 'us-east-1';
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

let t: TestServer;
let A: AccountCredentials; // owns the repositories
let B: AccountCredentials; // the consumers live here
let dir: string;
let iamB: IAMClient;
let ecrA: ECRClient;
/** A user of B that may assume B's roles, to make real calls as their sessions. */
let assumer: { accessKeyId: string; secretAccessKey: string };
const savedEnv: Record<string, string | undefined> = {};

function config(c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return { endpoint: t.endpoint, region: REGION, credentials: c, maxAttempts: 1 };
}
const keys = (c: AccountCredentials) => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey });
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${A.AccountId}:repository/${name}`;
const roleArn = (name: string) => `arn:aws:iam::${B.AccountId}:role/${name}`;
const sessionArn = (name: string) => `arn:aws:sts::${B.AccountId}:assumed-role/${name}/crossdock-explain`;

before(async () => {
  t = await startServer({ region: REGION });
  [A, B] = await Promise.all([t.createAccount('explain-owner'), t.createAccount('explain-consumer')]);
  dir = await mkdtemp(join(tmpdir(), 'crossdock-explain-'));
  const credentials = join(dir, 'credentials');
  await writeFile(
    credentials,
    `[owner]\naws_access_key_id = ${A.AccessKeyId}\naws_secret_access_key = ${A.SecretAccessKey}\n` +
      `[consumer]\naws_access_key_id = ${B.AccessKeyId}\naws_secret_access_key = ${B.SecretAccessKey}\n`,
  );
  await writeFile(join(dir, 'config'), '');
  for (const k of [
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_REGION',
    'CROSSDOCK_ENDPOINT',
  ])
    savedEnv[k] = process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_REGION = REGION;
  for (const k of [
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'CROSSDOCK_ENDPOINT',
  ])
    delete process.env[k];

  iamB = new IAMClient(config(keys(B)));
  ecrA = new ECRClient(config(keys(A)));
  await iamB.send(new CreateUserCommand({ UserName: 'assumer' }));
  await iamB.send(
    new PutUserPolicyCommand({
      UserName: 'assumer',
      PolicyName: 'assume',
      PolicyDocument: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }),
    }),
  );
  const k = await iamB.send(new CreateAccessKeyCommand({ UserName: 'assumer' }));
  assumer = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
});

after(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await t?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A role of B that B's users may assume, with an optional inline policy. */
async function role(name: string, policy?: string): Promise<void> {
  await iamB.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${B.AccountId}:root` },
        Action: 'sts:AssumeRole',
      }),
    }),
  );
  if (policy !== undefined)
    await iamB.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'pull', PolicyDocument: policy }));
}

/** A repository of A, with an optional repository policy and tags. */
async function repository(name: string, policy?: string, tags?: Record<string, string>): Promise<void> {
  await ecrA.send(
    new CreateRepositoryCommand({
      repositoryName: name,
      ...(tags !== undefined && { tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    }),
  );
  if (policy !== undefined)
    await ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText: policy }));
}

/** The identity policy of a consumer that pulls `repo` and may log in. */
function pullPolicy(repo: string): string {
  return doc(
    { Sid: 'Login', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    { Sid: 'PullFromA', Effect: 'Allow', Action: PULL, Resource: repoArn(repo) },
  );
}

/** A repository policy letting `principal` pull. */
function grant(principal: string, extra: object = {}): object {
  return { Sid: 'AllowPull', Effect: 'Allow', Principal: { AWS: principal }, Action: PULL, ...extra };
}

/** Runs a command in-process and captures what it prints. */
async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await run();
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const profiles = () => [
  '--owner-profile',
  'owner',
  '--consumer-profile',
  'consumer',
  '--endpoint',
  t.endpoint,
];

/** `explain --json` for a role of B and one action on a repository of A. */
async function explain(principal: string, target: string[], extra: string[] = []) {
  const r = await capture(() =>
    explainCommand(['--principal', principal, ...target, ...profiles(), '--json', ...extra]),
  );
  assert.equal(r.err, '', r.err);
  return { code: r.code, json: JSON.parse(r.out) };
}

/** What the server answers when the role's session really calls `action` on the repository. */
async function realCall(roleName: string, repo: string, action: 'BatchGetImage' | 'GetAuthorizationToken') {
  const sts = new STSClient(config(assumer));
  const c = (
    await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn(roleName), RoleSessionName: 'crossdock-explain' }),
    )
  ).Credentials!;
  const ecr = new ECRClient(
    config({
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    }),
  );
  try {
    if (action === 'GetAuthorizationToken') await ecr.send(new GetAuthorizationTokenCommand({}));
    else
      await ecr.send(
        new BatchGetImageCommand({
          registryId: A.AccountId,
          repositoryName: repo,
          imageIds: [{ imageTag: 'v1' }],
        }),
      );
    return { allowed: true as const };
  } catch (e) {
    const err = e as Error;
    assert.equal(err.name, 'AccessDeniedException', err.message);
    return { allowed: false as const, message: err.message };
  }
}

describe('crossdock explain names the side that is missing', () => {
  test('repository policy grants the role, its identity policy does not: the identity side is missing', async () => {
    await role('no-identity');
    await repository('grant-only', doc(grant(roleArn('no-identity'))));
    const { code, json } = await explain(roleArn('no-identity'), [
      '--action',
      'ecr:BatchGetImage',
      '--repository',
      repoArn('grant-only'),
    ]);
    assert.equal(code, 1);
    const [a] = json.actions;
    assert.equal(a.decision, 'ImplicitDeny');
    assert.equal(
      a.message,
      `User: ${sessionArn('no-identity')} is not authorized to perform: ecr:BatchGetImage on resource: ` +
        `${repoArn('grant-only')} because no identity-based policy allows the ecr:BatchGetImage action`,
    );
    assert.deepEqual(a.missing, ['identity']);
    assert.deepEqual(a.sides.resource, 'allow');
    assert.deepEqual(
      a.deciding.map((s: any) => [s.side, s.sid]),
      [['resource', 'AllowPull']],
    );
    assert.equal(json.fixes.length, 1);
    assert.equal(json.fixes[0].kind, 'add-statement');
    assert.equal(json.fixes[0].side, 'identity');
    assert.deepEqual(json.fixes[0].statement, {
      Sid: 'AllowBatchGetImage',
      Effect: 'Allow',
      Action: ['ecr:BatchGetImage'],
      Resource: repoArn('grant-only'),
    });
    assert.equal(json.fixesSuffice, true);
    // The server says exactly the same.
    assert.deepEqual(await realCall('no-identity', 'grant-only', 'BatchGetImage'), {
      allowed: false,
      message: a.message,
    });
  });

  test('identity policy allows, no repository policy: the resource side is missing, and the fix works', async () => {
    await role('no-grant', pullPolicy('no-policy'));
    await repository('no-policy');
    const target = ['--action', 'ecr:BatchGetImage', '--repository', repoArn('no-policy')];
    const { code, json } = await explain(roleArn('no-grant'), target);
    assert.equal(code, 1);
    const [a] = json.actions;
    assert.equal(
      a.message,
      `User: ${sessionArn('no-grant')} is not authorized to perform: ecr:BatchGetImage on resource: ` +
        `${repoArn('no-policy')} because no resource-based policy allows the ecr:BatchGetImage action`,
    );
    assert.deepEqual(a.missing, ['resource']);
    assert.deepEqual(
      a.deciding.map((s: any) => [s.side, s.sid]),
      [['identity', 'PullFromA']],
    );
    const [fix] = json.fixes;
    assert.equal(fix.kind, 'add-statement');
    assert.equal(fix.side, 'resource');
    assert.deepEqual(fix.statement, {
      Sid: 'AllowBatchGetImage',
      Effect: 'Allow',
      Principal: { AWS: roleArn('no-grant') },
      Action: ['ecr:BatchGetImage'],
    });
    assert.deepEqual(await realCall('no-grant', 'no-policy', 'BatchGetImage'), {
      allowed: false,
      message: a.message,
    });

    // Apply the proposed document as the owner would; explain and the server then agree on Allow.
    await ecrA.send(
      new SetRepositoryPolicyCommand({ repositoryName: 'no-policy', policyText: fix.document }),
    );
    const again = await explain(roleArn('no-grant'), target);
    assert.equal(again.code, 0);
    assert.equal(again.json.decision, 'Allow');
    assert.deepEqual(await realCall('no-grant', 'no-policy', 'BatchGetImage'), { allowed: true });
  });

  test('a session ARN is explained as a session of its role, and an IAM user works too', async () => {
    await role('by-session', pullPolicy('for-session'));
    await repository('for-session', doc(grant(roleArn('by-session'))));
    const session = `arn:aws:sts::${B.AccountId}:assumed-role/by-session/ci-run-7`;
    const r = await explain(session, [
      '--action',
      'ecr:BatchGetImage',
      '--repository',
      repoArn('for-session'),
    ]);
    assert.equal(r.code, 0);
    assert.equal(r.json.principal.arn, session);
    assert.equal(r.json.principal.principalArn, roleArn('by-session'));
    assert.ok(r.json.notConsidered.some((n: any) => n.what.startsWith('session policies')));

    await iamB.send(new CreateUserCommand({ UserName: 'dev' }));
    const user = `arn:aws:iam::${B.AccountId}:user/dev`;
    const u = await explain(user, ['--action', 'ecr:BatchGetImage', '--repository', repoArn('for-session')]);
    assert.equal(u.code, 1);
    assert.equal(
      u.json.actions[0].message,
      `User: ${user} is not authorized to perform: ecr:BatchGetImage on resource: ${repoArn('for-session')} ` +
        'because no identity-based policy allows the ecr:BatchGetImage action',
    );
    assert.deepEqual(u.json.actions[0].missing, ['identity', 'resource']);
    assert.deepEqual(
      u.json.fixes.map((f: any) => [f.side, f.statement.Principal?.AWS ?? f.statement.Resource]),
      [
        ['identity', repoArn('for-session')],
        ['resource', user],
      ],
    );
  });

  test('GetAuthorizationToken scoped to the repository: only the login is denied, and lint says why', async () => {
    const policy = doc(
      { Sid: 'Login', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: repoArn('scoped') },
      { Sid: 'PullFromA', Effect: 'Allow', Action: PULL, Resource: repoArn('scoped') },
    );
    await role('scoped-login', policy);
    await repository('scoped', doc(grant(roleArn('scoped-login'))));
    const image = `127.0.0.1:${t.port}/${A.AccountId}/scoped:v1`;
    const { code, json } = await explain(roleArn('scoped-login'), ['--image', image]);
    assert.equal(code, 1);
    assert.deepEqual(
      json.actions.map((a: any) => [a.action, a.decision]),
      [
        ['ecr:GetAuthorizationToken', 'ImplicitDeny'],
        ['ecr:BatchGetImage', 'Allow'],
        ['ecr:GetDownloadUrlForLayer', 'Allow'],
        ['ecr:BatchCheckLayerAvailability', 'Allow'],
      ],
    );
    const login = json.actions[0];
    assert.equal(
      login.message,
      `User: ${sessionArn('scoped-login')} is not authorized to perform: ecr:GetAuthorizationToken on resource: * ` +
        'because no identity-based policy allows the ecr:GetAuthorizationToken action',
    );
    assert.deepEqual(
      login.hints.map((h: any) => [h.kind, h.sid]),
      [['resource', 'Login']],
    );
    assert.deepEqual(
      json.fixes.map((f: any) => f.statement),
      [
        {
          Sid: 'AllowGetAuthorizationToken',
          Effect: 'Allow',
          Action: ['ecr:GetAuthorizationToken'],
          Resource: '*',
        },
      ],
    );
    assert.deepEqual(await realCall('scoped-login', 'scoped', 'GetAuthorizationToken'), {
      allowed: false,
      message: login.message,
    });

    const file = join(dir, 'scoped.json');
    await writeFile(file, policy);
    const lint = await capture(() => lintCommand([file, '--json']));
    assert.equal(lint.code, 1);
    assert.deepEqual(
      JSON.parse(lint.out).findings.map((f: any) => [f.id, f.statement.sid]),
      [['get-authorization-token-scoped', 'Login']],
    );
  });

  test('an account (root) principal where a role was meant: explain allows and warns, lint flags it', async () => {
    await role('via-root', pullPolicy('root-granted'));
    await repository('root-granted', doc(grant(`arn:aws:iam::${B.AccountId}:root`)));
    const { code, json } = await explain(roleArn('via-root'), [
      '--action',
      'ecr:BatchGetImage',
      '--repository',
      repoArn('root-granted'),
    ]);
    assert.equal(code, 0);
    const [a] = json.actions;
    assert.equal(a.decision, 'Allow');
    assert.equal(a.resourceGrant, 'account');
    assert.deepEqual(
      a.hints.map((h: any) => [h.kind, h.sid]),
      [['account-principal', 'AllowPull']],
    );
    assert.deepEqual(await realCall('via-root', 'root-granted', 'BatchGetImage'), { allowed: true });

    const stored = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'root-granted' }));
    const file = join(dir, 'root-granted.json');
    await writeFile(file, stored.policyText!);
    const lint = await capture(() => lintCommand([file, '--json']));
    assert.equal(lint.code, 1);
    const result = JSON.parse(lint.out);
    assert.equal(result.type, 'repository');
    assert.deepEqual(
      result.findings.map((f: any) => [f.id, f.statement.sid]),
      [['root-principal', 'AllowPull']],
    );
  });

  test("Lambda's service principal without aws:SourceArn is flagged by lint, and the condition clears it", async () => {
    const lambda = {
      Sid: 'LambdaPull',
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: PULL,
    };
    await repository('function-image', doc(lambda));
    const stored = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'function-image' }));
    const file = join(dir, 'lambda.json');
    await writeFile(file, stored.policyText!);
    const r = await capture(() => lintCommand([file]));
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /warning service-principal-without-source: statement #0 "LambdaPull" allows lambda\.amazonaws\.com/,
    );

    const fixed = doc({
      ...lambda,
      Condition: { StringLike: { 'aws:SourceArn': `arn:aws:lambda:${REGION}:${B.AccountId}:function:*` } },
    });
    await ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: 'function-image', policyText: fixed }));
    const again = await ecrA.send(new GetRepositoryPolicyCommand({ repositoryName: 'function-image' }));
    await writeFile(file, again.policyText!);
    const clean = await capture(() => lintCommand([file]));
    assert.equal(clean.code, 0, clean.out);
  });

  test('an explicit Deny in the repository policy: explain names it and the fix removes it', async () => {
    await role('denied', pullPolicy('deny-repo'));
    const deny = {
      Sid: 'DenyPull',
      Effect: 'Deny',
      Principal: { AWS: roleArn('denied') },
      Action: 'ecr:BatchGetImage',
    };
    await repository('deny-repo', doc(grant(roleArn('denied')), deny));
    const target = ['--action', 'ecr:BatchGetImage', '--repository', repoArn('deny-repo')];
    const { code, json } = await explain(roleArn('denied'), target);
    assert.equal(code, 1);
    const [a] = json.actions;
    assert.equal(a.decision, 'ExplicitDeny');
    assert.equal(
      a.message,
      `User: ${sessionArn('denied')} is not authorized to perform: ecr:BatchGetImage on resource: ` +
        `${repoArn('deny-repo')} with an explicit deny in a resource-based policy`,
    );
    assert.deepEqual(
      a.deciding.map((s: any) => [s.side, s.effect, s.sid, s.index]),
      [['resource', 'Deny', 'DenyPull', 1]],
    );
    assert.equal(json.fixes.length, 1);
    assert.equal(json.fixes[0].kind, 'remove-statement');
    assert.equal(json.fixes[0].sid, 'DenyPull');
    assert.deepEqual(json.fixes[0].statement, deny);
    assert.deepEqual(await realCall('denied', 'deny-repo', 'BatchGetImage'), {
      allowed: false,
      message: a.message,
    });

    // The text output shows the same sentence and points at the Deny.
    const text = await capture(() =>
      explainCommand(['--principal', roleArn('denied'), ...target, ...profiles()]),
    );
    assert.equal(text.code, 1);
    assert.ok(text.out.includes(`AWS: ${a.message}`), text.out);
    assert.match(text.out, /remove statement #1 "DenyPull" from the repository policy of `deny-repo`/);

    await ecrA.send(
      new SetRepositoryPolicyCommand({ repositoryName: 'deny-repo', policyText: json.fixes[0].document }),
    );
    assert.deepEqual(await realCall('denied', 'deny-repo', 'BatchGetImage'), { allowed: true });
  });

  test('a tag condition that does not hold: explain shows the tag it saw and proposes the tag', async () => {
    await role('tagged', pullPolicy('team-repo'));
    const policy = doc(
      grant(roleArn('tagged'), {
        Sid: 'TeamPayments',
        Condition: { StringEquals: { 'aws:ResourceTag/Team': 'Payments' } },
      }),
    );
    await repository('team-repo', policy, { Team: 'Ops' });
    const target = ['--action', 'ecr:BatchGetImage', '--repository', repoArn('team-repo')];
    const { code, json } = await explain(roleArn('tagged'), target);
    assert.equal(code, 1);
    const [a] = json.actions;
    assert.equal(
      a.message,
      `User: ${sessionArn('tagged')} is not authorized to perform: ecr:BatchGetImage on resource: ` +
        `${repoArn('team-repo')} because no resource-based policy allows the ecr:BatchGetImage action`,
    );
    assert.deepEqual(json.resourceTags, { Team: 'Ops' });
    assert.deepEqual(
      a.hints.map((h: any) => [h.kind, h.sid, h.failing]),
      [
        [
          'condition',
          'TeamPayments',
          [{ operator: 'StringEquals', key: 'aws:ResourceTag/Team', values: ['Payments'], actual: 'Ops' }],
        ],
      ],
    );
    assert.deepEqual(
      json.fixes.map((f: any) => [f.kind, f.tags]),
      [['tag-resource', { Team: 'Payments' }]],
    );
    assert.deepEqual(await realCall('tagged', 'team-repo', 'BatchGetImage'), {
      allowed: false,
      message: a.message,
    });

    await ecrA.send(
      new TagResourceCommand({
        resourceArn: repoArn('team-repo'),
        tags: [{ Key: 'Team', Value: 'Payments' }],
      }),
    );
    assert.equal((await explain(roleArn('tagged'), target)).code, 0);
    assert.deepEqual(await realCall('tagged', 'team-repo', 'BatchGetImage'), { allowed: true });
  });

  test('execution role vs task role: the repository grants the task role, ECS pulls with the execution role', async () => {
    // Seed 004's ECS policy names the task role; ECS's agent pulls with the task execution role.
    const ecsTrust = doc({
      Effect: 'Allow',
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    for (const [name, policy] of [
      ['app-task-role', pullPolicy('ecs-app')],
      // The ECR part of AmazonECSTaskExecutionRolePolicy: pull anything the repository allows.
      [
        'app-execution-role',
        doc({ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', ...PULL], Resource: '*' }),
      ],
    ] as const) {
      await iamB.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ecsTrust }));
      await iamB.send(
        new PutRolePolicyCommand({ RoleName: name, PolicyName: 'ecr', PolicyDocument: policy }),
      );
    }
    await repository('ecs-app', doc(grant(roleArn('app-task-role'))));
    const image = `127.0.0.1:${t.port}/${A.AccountId}/ecs-app:v1`;
    // The execution role's credentials as ECS hands them to its agent.
    const agent = await startInstanceProfile(
      { endpoint: t.endpoint, roleArn: roleArn('app-execution-role'), port: 0, host: '127.0.0.1', ecs: true },
      { credentials: keys(B), region: REGION },
    );
    try {
      const session = agent.first.sessionName;
      const pull = () =>
        new ECRClient(config(agent.first)).send(
          new BatchGetImageCommand({
            registryId: A.AccountId,
            repositoryName: 'ecs-app',
            imageIds: [{ imageTag: 'v1' }],
          }),
        );

      const { code, json } = await explain(
        roleArn('app-execution-role'),
        ['--image', image],
        ['--session-name', session],
      );
      assert.equal(code, 1);
      assert.deepEqual(json.ecs, { callerIsEcsRole: true, grantedEcsRoles: [roleArn('app-task-role')] });
      const get = json.actions.find((a: any) => a.action === 'ecr:BatchGetImage');
      assert.equal(get.decision, 'ImplicitDeny');
      assert.deepEqual(get.missing, ['resource']);
      assert.equal(get.sides.identity, 'allow');
      assert.equal(
        get.message,
        `User: arn:aws:sts::${B.AccountId}:assumed-role/app-execution-role/${session} is not authorized to perform: ` +
          `ecr:BatchGetImage on resource: ${repoArn('ecs-app')} because no resource-based policy allows the ecr:BatchGetImage action`,
      );
      assert.deepEqual(
        get.hints.map((h: any) => [h.kind, h.sid]),
        [['ecs-execution-role', 'AllowPull']],
      );
      assert.match(
        get.hints[0].text,
        /allows ecr:BatchGetImage to role `app-task-role`, which ECS tasks assume/,
      );
      // The fix names the execution role in the repository policy, and nothing on B's side.
      assert.deepEqual(
        json.fixes.map((f: any) => [f.kind, f.side, f.statement.Principal]),
        [['add-statement', 'resource', { AWS: roleArn('app-execution-role') }]],
      );
      assert.equal(json.fixesSuffice, true);
      // The server agrees, word for word, with the agent's own session.
      const denied = await pull().then(
        () => assert.fail('the execution role pulled'),
        (e: Error) => e,
      );
      assert.equal(denied.name, 'AccessDeniedException');
      assert.equal(denied.message, get.message);

      // The task role is allowed, and explain says it is not the role that pulls.
      const task = await explain(roleArn('app-task-role'), ['--image', image]);
      assert.equal(task.code, 0);
      const taskGet = task.json.actions.find((a: any) => a.action === 'ecr:BatchGetImage');
      assert.deepEqual(
        taskGet.hints.map((h: any) => [h.kind, h.sid]),
        [['ecs-task-role', 'AllowPull']],
      );
      assert.match(taskGet.hints[0].text, /ECS pulls a task's image with its task execution role/);

      // The text names the role that pulls.
      const text = await capture(() =>
        explainCommand(['--principal', roleArn('app-execution-role'), '--image', image, ...profiles()]),
      );
      assert.equal(text.code, 1);
      assert.match(
        text.out,
        /ECS pulls a task's image with its task execution role \(executionRoleArn\), not its task role/,
      );

      await ecrA.send(
        new SetRepositoryPolicyCommand({ repositoryName: 'ecs-app', policyText: json.fixes[0].document }),
      );
      assert.equal((await explain(roleArn('app-execution-role'), ['--image', image])).code, 0);
      await pull();
    } finally {
      await agent.server.close();
    }
  });

  test("'Invalid repository policy provided': lint gives the real reason, a Resource element or a role that does not exist", async () => {
    await iamB.send(
      new CreateRoleCommand({
        RoleName: 'ledger-task-role',
        AssumeRolePolicyDocument: doc({
          Effect: 'Allow',
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      }),
    );
    await repository('ledger');
    const opaque =
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
    const refusal = async (policyText: string) => {
      const e = await ecrA
        .send(new SetRepositoryPolicyCommand({ repositoryName: 'ledger', policyText }))
        .then(
          () => assert.fail('the server accepted the policy'),
          (err: Error) => err,
        );
      assert.equal(e.name, 'InvalidParameterException');
      return e.message;
    };
    const lint = async (policy: string, extra: string[] = []) => {
      const file = join(dir, 'ledger.json');
      await writeFile(file, policy);
      const r = await capture(() => lintCommand([file, '--json', ...extra]));
      return { code: r.code, json: JSON.parse(r.out), err: r.err };
    };
    const withProfiles = ['--profile', 'owner', '--profile', 'consumer', '--endpoint', t.endpoint];

    // A Resource element, as in an identity policy.
    const withResource = doc({ ...grant(roleArn('ledger-task-role')), Resource: repoArn('ledger') });
    assert.equal(await refusal(withResource), opaque);
    const r1 = await lint(withResource);
    assert.equal(r1.code, 2);
    assert.equal(r1.json.error.code, 'InvalidParameterException');
    assert.equal(r1.json.error.message, opaque);
    assert.match(r1.json.error.detail, /Resource/);
    assert.deepEqual(
      r1.json.findings.map((f: any) => [f.id, f.statement.sid]),
      [['resource-in-repository-policy', 'AllowPull']],
    );

    // A typo in the role name (seed 004's CloudFormation case): valid grammar, so lint alone is
    // clean; with the accounts' credentials it finds the role missing and the nearest one.
    const typo = doc(grant(roleArn('ledger-task-rol')), {
      Sid: 'Owner',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A.AccountId}:root` },
      Action: 'ecr:DescribeImages',
    });
    assert.equal(await refusal(typo), opaque);
    const blind = await lint(typo);
    assert.equal(blind.code, 1, JSON.stringify(blind.json));
    assert.deepEqual(
      blind.json.findings.map((f: any) => f.id),
      ['root-principal'],
    );
    const r2 = await lint(typo, withProfiles);
    assert.equal(r2.code, 2, r2.err);
    assert.deepEqual(r2.json.error, {
      code: 'InvalidParameterException',
      message: opaque,
      statement: { index: 0, sid: 'AllowPull' },
      detail: `role \`${roleArn('ledger-task-rol')}\` does not exist`,
    });
    const missing = r2.json.findings.find((f: any) => f.id === 'principal-not-found');
    assert.equal(
      missing.message,
      `statement #0 "AllowPull" names \`${roleArn('ledger-task-rol')}\`, but account ${B.AccountId} has no such role ` +
        `(did you mean \`${roleArn('ledger-task-role')}\`?)`,
    );
    assert.deepEqual(r2.json.principals, { checked: [roleArn('ledger-task-rol')], notChecked: [] });
    // Only B's credentials: the role is still checked; A's root names no IAM entity to look up.
    const onlyB = await lint(typo, ['--profile', 'consumer', '--endpoint', t.endpoint]);
    assert.equal(onlyB.code, 2);

    // The corrected policy: lint with the lookups is clean but for the account principal, and the server takes it.
    const fixed = doc(grant(roleArn('ledger-task-role')));
    const r3 = await lint(fixed, withProfiles);
    assert.equal(r3.code, 0, JSON.stringify(r3.json));
    await ecrA.send(new SetRepositoryPolicyCommand({ repositoryName: 'ledger', policyText: fixed }));

    // A principal of an account lint has no credentials for is listed as not checked.
    const foreign = doc(grant('arn:aws:iam::999999999999:role/somebody'));
    const r4 = await lint(foreign, withProfiles);
    assert.equal(r4.code, 0);
    assert.deepEqual(r4.json.principals.notChecked, [
      {
        arn: 'arn:aws:iam::999999999999:role/somebody',
        why: 'no credentials of account 999999999999 (pass --profile)',
      },
    ]);
    const text = await capture(() => lintCommand([join(dir, 'ledger.json'), ...withProfiles]));
    assert.match(text.out, /not checked: `arn:aws:iam::999999999999:role\/somebody`/);
  });
});

describe('crossdock explain reports what it could not read', () => {
  test('SCPs are read with the management account and an SCP deny is named; group policies count for users', async () => {
    await role('org-check', pullPolicy('org-repo'));
    await repository('org-repo', doc(grant(roleArn('org-check'))));
    const target = ['--action', 'ecr:BatchGetImage', '--repository', repoArn('org-repo')];
    // Member accounts may not read Organizations (AccessDeniedException), so without an org profile
    // the SCPs of B and the RCPs of A are listed as not considered.
    const blind = await explain(roleArn('org-check'), target);
    assert.equal(blind.code, 0);
    assert.deepEqual(
      blind.json.notConsidered.map((n: any) => n.what),
      [
        `service control policies of account ${B.AccountId}`,
        `resource control policies of account ${A.AccountId}`,
      ],
    );

    // The management account reads them: a fresh credentials file (the SDK caches files it read)
    // with an `org` profile.
    const mgmt = t.management;
    const withOrg = join(dir, 'credentials-org');
    await writeFile(
      withOrg,
      `[owner]\naws_access_key_id = ${A.AccessKeyId}\naws_secret_access_key = ${A.SecretAccessKey}\n` +
        `[consumer]\naws_access_key_id = ${B.AccessKeyId}\naws_secret_access_key = ${B.SecretAccessKey}\n` +
        `[org]\naws_access_key_id = ${mgmt.AccessKeyId}\naws_secret_access_key = ${mgmt.SecretAccessKey}\n`,
    );
    const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE;
    process.env.AWS_SHARED_CREDENTIALS_FILE = withOrg;
    const orgs = new OrganizationsClient(config(keys(mgmt)));
    const rootId = (await orgs.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    const scpIds = (json: any) => json.policies.filter((q: any) => q.side === 'scp').map((q: any) => q.id);
    try {
      await orgs.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
      const ou = (
        await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'explain-consumers' }))
      ).OrganizationalUnit!.Id!;
      await orgs.send(
        new MoveAccountCommand({ AccountId: B.AccountId, SourceParentId: rootId, DestinationParentId: ou }),
      );
      const open = await explain(roleArn('org-check'), target, ['--org-profile', 'org']);
      assert.equal(open.code, 0);
      assert.deepEqual(open.json.notConsidered, []);
      assert.deepEqual(scpIds(open.json), [
        `scp:p-FullAWSAccess@${rootId}`,
        `scp:p-FullAWSAccess@${ou}`,
        `scp:p-FullAWSAccess@${B.AccountId}`,
      ]);

      const denyPull = (
        await orgs.send(
          new CreatePolicyCommand({
            Name: 'explain-no-pull',
            Description: 'no pulls from the consumers OU',
            Type: 'SERVICE_CONTROL_POLICY',
            Content: doc({ Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: '*' }),
          }),
        )
      ).Policy!.PolicySummary!.Id!;
      await orgs.send(new AttachPolicyCommand({ PolicyId: denyPull, TargetId: ou }));
      const denied = await explain(roleArn('org-check'), target, ['--org-profile', 'org']);
      assert.equal(denied.code, 1);
      const [a] = denied.json.actions;
      assert.equal(a.decision, 'ExplicitDeny');
      assert.match(a.message, /with an explicit deny in a service control policy$/);
      assert.ok(scpIds(denied.json).includes(`scp:${denyPull}@${ou}`), JSON.stringify(denied.json.policies));
      assert.deepEqual(await realCall('org-check', 'org-repo', 'BatchGetImage'), {
        allowed: false,
        message: a.message,
      });

      // A user of B whose pull permission comes from a group: explain reads the group's policy.
      await iamB.send(new CreateGroupCommand({ GroupName: 'explain-pullers' }));
      await iamB.send(
        new PutGroupPolicyCommand({
          GroupName: 'explain-pullers',
          PolicyName: 'pull',
          PolicyDocument: pullPolicy('org-repo'),
        }),
      );
      await iamB.send(new CreateUserCommand({ UserName: 'grouped' }));
      await iamB.send(new AddUserToGroupCommand({ GroupName: 'explain-pullers', UserName: 'grouped' }));
      const user = await explain(`arn:aws:iam::${B.AccountId}:user/grouped`, target, [
        '--org-profile',
        'org',
      ]);
      assert.equal(user.code, 1);
      assert.ok(
        user.json.policies.some(
          (q: any) => q.side === 'identity' && q.id === 'inline:group/explain-pullers/pull',
        ),
        JSON.stringify(user.json.policies),
      );
      assert.equal(user.json.actions[0].decision, 'ExplicitDeny');
      assert.match(user.json.actions[0].message, /explicit deny in a service control policy$/);
    } finally {
      // Leave the organization as the other cases expect it: no SCPs, B under the root.
      await orgs.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
      const parent = (await orgs.send(new ListParentsCommand({ ChildId: B.AccountId }))).Parents![0]!.Id!;
      if (parent !== rootId) {
        await orgs.send(
          new MoveAccountCommand({
            AccountId: B.AccountId,
            SourceParentId: parent,
            DestinationParentId: rootId,
          }),
        );
      }
      process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
      orgs.destroy();
    }
  });

  test('a role that does not exist, a missing repository and the wrong credentials are errors (exit 2)', async () => {
    const cases: [string, string[], RegExp][] = [
      [
        roleArn('nobody'),
        ['--action', 'ecr:BatchGetImage', '--repository', repoArn('org-repo')],
        /role `nobody` does not exist/,
      ],
      [
        roleArn('org-check'),
        ['--action', 'ecr:BatchGetImage', '--repository', repoArn('missing')],
        /repository `missing` does not exist/,
      ],
    ];
    for (const [principal, target, message] of cases) {
      const r = await capture(() => explainCommand(['--principal', principal, ...target, ...profiles()]));
      assert.equal(r.code, 2);
      assert.match(r.err, message);
    }
    const swapped = await capture(() =>
      explainCommand([
        '--principal',
        roleArn('org-check'),
        '--action',
        'ecr:BatchGetImage',
        '--repository',
        repoArn('org-repo'),
        '--consumer-profile',
        'owner',
        '--owner-profile',
        'owner',
        '--endpoint',
        t.endpoint,
      ]),
    );
    assert.equal(swapped.code, 2);
    assert.match(swapped.err, new RegExp(`consumer credentials are of account ${A.AccountId}`));
  });
});
