// `crossdock k8s pull-secret` against a started crossdock and a fake Kubernetes API server (real
// @kubernetes/client-node, real kubeconfig): the Secret it creates holds a password that the
// registry accepts, a second run replaces it, the refresh loop survives an API failure and stops
// on its signal, and the cross-account role of seed 000 ("Others": an EKS cluster cannot assume the
// role before pulling) gives a secret that reads account A's repository. When kubectl is installed
// the printed manifest is checked with `kubectl apply --dry-run=client`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { V1Secret } from '@kubernetes/client-node';
import { ANNOTATIONS, k8sCommand, type K8sDeps } from '../../src/cli/k8s.js';
import { ecrClient } from '../helpers/ecr.js';
import { sdkCredentials, startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';
import { startFakeKube, type FakeKube } from './toolkit-k8s.fixture.js';

const A = '111111111111';
const B = '222222222222';
const ROLE_ARN = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;

const kubectl = (process.env.PATH ?? '')
  .split(delimiter)
  .map((d) => join(d, 'kubectl'))
  .find((p) => existsSync(p));

let t: TestServer;
let kube: FakeKube;
let host: string;
let work: string;
let kubeconfig: string;
let a: AccountCredentials;
let b: AccountCredentials;
let puller: Pick<AccountCredentials, 'AccessKeyId' | 'SecretAccessKey'>;

/** Account A with `team/app` and a role B may assume; B's user `puller` may assume it. */
async function crossAccountSetup(): Promise<void> {
  [a, b] = await Promise.all([t.createAccount('registry', A), t.createAccount('consumer', B)]);
  const ecrA = ecrClient(t.endpoint, a);
  await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
  ecrA.destroy();
  const iam = (c: AccountCredentials) =>
    new IAMClient({
      endpoint: t.endpoint,
      region: 'us-east-1',
      credentials: sdkCredentials(c),
      maxAttempts: 1,
    });
  const iamA = iam(a);
  await iamA.send(
    new CreateRoleCommand({
      RoleName: 'RoleForCrossAccountEcrUser',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await iamA.send(
    new AttachRolePolicyCommand({
      RoleName: 'RoleForCrossAccountEcrUser',
      PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
    }),
  );
  iamA.destroy();
  const iamB = iam(b);
  await iamB.send(new CreateUserCommand({ UserName: 'puller' }));
  await iamB.send(
    new PutUserPolicyCommand({
      UserName: 'puller',
      PolicyName: 'AssumeCrossAccountEcrRole',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN }],
      }),
    }),
  );
  const key = (await iamB.send(new CreateAccessKeyCommand({ UserName: 'puller' }))).AccessKey!;
  puller = { AccessKeyId: key.AccessKeyId!, SecretAccessKey: key.SecretAccessKey! };
  iamB.destroy();
}

/**
 * Runs `crossdock k8s` in this process as an identity: its key in the environment the SDK's
 * credential chain reads (restored afterwards), no AWS config files, no KUBECONFIG.
 */
async function run(
  who: Pick<AccountCredentials, 'AccessKeyId' | 'SecretAccessKey'>,
  args: string[],
  deps: Partial<K8sDeps> = {},
): Promise<{ code: number; out: string; err: string[] }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: who.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: who.SecretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CROSSDOCK_ENDPOINT', 'KUBECONFIG'])
    delete process.env[k];
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await k8sCommand(args, {
      env: {},
      out: (s) => out.push(s),
      err: (l) => err.push(l),
      ...deps,
    });
    return { code, out: out.join(''), err };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** The `auths` entry of a stored or printed Secret. */
function authsEntry(s: V1Secret | undefined): { username: string; password: string; auth: string } {
  assert.ok(s !== undefined, 'the secret exists');
  assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
  const doc = JSON.parse(Buffer.from(s.data!['.dockerconfigjson']!, 'base64').toString('utf8')) as {
    auths: Record<string, { username: string; password: string; auth: string }>;
  };
  assert.deepEqual(Object.keys(doc.auths), [host]);
  const e = doc.auths[host]!;
  assert.equal(e.username, 'AWS');
  assert.equal(Buffer.from(e.auth, 'base64').toString('utf8'), `AWS:${e.password}`);
  return e;
}

/** The status crossdock's registry answers for `path` with `AWS:<password>`. */
async function registryStatus(password: string, path = '/v2/'): Promise<number> {
  const res = await fetch(`${t.endpoint}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` },
  });
  await res.arrayBuffer();
  return res.status;
}

const secretArgs = (name: string, extra: string[] = []) => [
  'pull-secret',
  '--namespace',
  'apps',
  '--name',
  name,
  '--registry',
  `${host}/${A}`,
  ...extra,
];
const applyArgs = (name: string, extra: string[] = []) =>
  secretArgs(name, ['--apply', '--kubeconfig', kubeconfig, '--context', 'fake', ...extra]);

describe('crossdock k8s pull-secret against crossdock and a fake cluster', () => {
  before(async () => {
    t = await startServer();
    host = new URL(t.endpoint).host;
    kube = await startFakeKube();
    work = await mkdtemp(join(tmpdir(), 'crossdock-k8s-e2e-'));
    kubeconfig = join(work, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    await crossAccountSetup();
  });
  after(async () => {
    await kube?.close();
    await t?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('--apply creates the secret, and its password opens the registry', async () => {
    const r = await run(a, applyArgs('ecr-a'));
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(
      r.out,
      new RegExp(`^secret/apps/ecr-a created: ${host.replace(/\./g, '\\.')}, token expires `),
    );
    assert.deepEqual(
      kube.requests.filter((q) => q.includes('/secrets')),
      ['GET /api/v1/namespaces/apps/secrets/ecr-a', 'POST /api/v1/namespaces/apps/secrets'],
    );
    const stored = kube.secrets.get('apps/ecr-a');
    const { password } = authsEntry(stored);
    assert.ok(!r.out.includes(password) && !r.err.join('').includes(password), 'the token is not printed');
    assert.deepEqual(stored?.metadata?.labels, { 'app.kubernetes.io/managed-by': 'crossdock' });
    const expires = Date.parse(stored!.metadata!.annotations![ANNOTATIONS.expiresAt]!);
    assert.ok(expires > Date.now() + 11 * 3600_000, 'the annotation carries the 12 h expiry');
    assert.equal(await registryStatus(password), 200);
    assert.equal(await registryStatus('not-a-token'), 401, 'the check can fail');
  });

  test('a second --apply replaces the secret in place', async () => {
    const before = kube.secrets.get('apps/ecr-a')!;
    kube.requests.length = 0;
    const r = await run(a, applyArgs('ecr-a'));
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out, /^secret\/apps\/ecr-a updated: /);
    assert.deepEqual(kube.requests, [
      'GET /api/v1/namespaces/apps/secrets/ecr-a',
      'PUT /api/v1/namespaces/apps/secrets/ecr-a',
    ]);
    const after = kube.secrets.get('apps/ecr-a')!;
    assert.notEqual(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
    assert.equal(await registryStatus(authsEntry(after).password), 200);
  });

  test('the refresh loop refreshes at each tick of a fast timer, survives an API failure and stops on its signal', async () => {
    kube.requests.length = 0;
    kube.failNext(1);
    const stop = new AbortController();
    const slept: number[] = [];
    const r = await run(a, applyArgs('ecr-loop', ['--refresh', '6h']), {
      signal: stop.signal,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 4) stop.abort();
      },
    });
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(
      slept,
      [5_000, 6 * 3600_000, 6 * 3600_000, 6 * 3600_000],
      'a retry after 5 s, then every 6 h',
    );
    const logged = r.err.filter((l) => l.startsWith('crossdock: secret/apps/ecr-loop: '));
    assert.equal(logged.length, 4, r.err.join('\n'));
    assert.match(
      logged[0]!,
      /refresh failed: the Kubernetes API answered 500: injected failure; retrying in 5s$/,
    );
    assert.match(logged[1]!, / created secret, token expires .*, next refresh in 6h$/);
    assert.match(logged[3]!, / updated secret, /);
    assert.match(r.err.at(-1)!, /stopped after 3 refresh\(es\) and 1 failure\(s\)/);
    assert.equal(kube.requests.filter((q) => q.startsWith('PUT ')).length, 2);
    assert.equal(await registryStatus(authsEntry(kube.secrets.get('apps/ecr-loop')).password), 200);
  });

  test('with --role-arn, B’s user gets a secret that reads A’s repository, which B’s own token cannot', async () => {
    const tags = `/v2/${A}/team/app/tags/list`;
    const own = await run(b, applyArgs('ecr-b-own'));
    assert.equal(own.code, 0, own.err.join('\n'));
    assert.equal(await registryStatus(authsEntry(kube.secrets.get('apps/ecr-b-own')).password, tags), 403);

    const r = await run(puller, applyArgs('ecr-b-role', ['--role-arn', ROLE_ARN]));
    assert.equal(r.code, 0, r.err.join('\n'));
    const stored = kube.secrets.get('apps/ecr-b-role');
    assert.equal(stored?.metadata?.annotations?.[ANNOTATIONS.roleArn], ROLE_ARN);
    const status = await registryStatus(authsEntry(stored).password, tags);
    assert.ok(status !== 401 && status !== 403, `the role's token reads A's repository (got ${status})`);

    const denied = await run(puller, applyArgs('ecr-b-self'));
    assert.equal(denied.code, 1, 'the user alone may not get a token');
    assert.match(denied.err.join('\n'), /AccessDeniedException: .*ecr:GetAuthorizationToken/);
    assert.equal(kube.secrets.get('apps/ecr-b-self'), undefined, 'nothing is written');
  });

  test('a cluster that refuses the credentials or cannot be reached is reported, exit 1', async () => {
    const refused = await run(
      a,
      applyArgs('ecr-stranger').map((x) => (x === 'fake' ? 'stranger' : x)),
    );
    assert.equal(refused.code, 1);
    assert.match(refused.err.join('\n'), /^crossdock: the Kubernetes API answered 401: Unauthorized$/);
    assert.equal(kube.secrets.get('apps/ecr-stranger'), undefined);
    const current = await run(a, secretArgs('ecr-a', ['--apply', '--kubeconfig', kubeconfig]));
    assert.equal(current.code, 1, 'without --context the current context (no server there) is used');
    assert.match(current.err.join('\n'), /^crossdock: /);
    const missing = await run(
      a,
      secretArgs('ecr-a', ['--apply', '--kubeconfig', kubeconfig, '--context', 'nope']),
    );
    assert.equal(missing.code, 1);
    assert.match(missing.err.join('\n'), /the kubeconfig has no context `nope`/);
  });

  test(
    'the printed manifest is accepted by kubectl apply --dry-run=client',
    { skip: kubectl === undefined ? 'kubectl is not on PATH' : false },
    async () => {
      const r = await run(a, secretArgs('ecr-printed'));
      assert.equal(r.code, 0, r.err.join('\n'));
      // Validation against the OpenAPI schema needs a real API server; the fake serves discovery only.
      const result = await new Promise<{ code: number; out: string }>((done) => {
        const child = execFile(
          kubectl!,
          [
            'apply',
            '--dry-run=client',
            '--validate=false',
            '--kubeconfig',
            kubeconfig,
            '--context',
            'fake',
            '-f',
            '-',
          ],
          { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work }, timeout: 30_000 },
          (err, stdout, stderr) => done({ code: err === null ? 0 : 1, out: `${stdout}${stderr}` }),
        );
        child.stdin!.end(r.out);
      });
      assert.equal(result.code, 0, result.out);
      assert.match(result.out, /secret\/ecr-printed created \(dry run\)/);
      assert.equal(kube.secrets.get('apps/ecr-printed'), undefined, 'a dry run writes nothing');
    },
  );
});
