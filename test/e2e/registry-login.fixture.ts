// The world of the login and credential-helper E2E tests, the cross-account setup of seed 000:
// account A owns `team/app` (an image pushed with skopeo) and the role RoleForCrossAccountEcrUser
// (ECR read-only, trusted by account B); account B's user `puller` may assume that role and has
// no other rights. skopeo always runs
// with a home of its own, so no real auth file or cache is read or written.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { ecrClient, registryLogin } from '../helpers/ecr.js';
import { makeOciLayout, type OciLayout } from '../helpers/image.js';
import { sdkCredentials, startServer, type AccountCredentials, type TestServer } from '../helpers/server.js';

/** The skopeo binary these tests drive. */
export const SKOPEO = '/usr/bin/skopeo';

/** Why the tests cannot run here, or `undefined`. */
export const skopeoMissing: string | undefined = existsSync(SKOPEO)
  ? undefined
  : `${SKOPEO} is not installed (Debian package skopeo; .ci/run installs it)`;

export const A = '111111111111';
export const B = '222222222222';
export const ROLE_ARN = `arn:aws:iam::${A}:role/RoleForCrossAccountEcrUser`;

/** What skopeo printed and whether it succeeded. */
export interface Run {
  readonly ok: boolean;
  readonly out: string;
}

/** A started server with the cross-account setup in place. */
export interface LoginWorld {
  readonly t: TestServer;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly a: AccountCredentials;
  readonly b: AccountCredentials;
  /** B's user `puller`, allowed sts:AssumeRole on the role (roots may not assume roles). */
  readonly puller: Pick<AccountCredentials, 'AccessKeyId' | 'SecretAccessKey'>;
  readonly image: OciLayout;
  /** `docker://127.0.0.1:PORT/<A>/team/app:v1`. */
  readonly imageRef: string;
  readonly work: string;
  /** A fresh directory under the work directory. */
  dir(name: string): Promise<string>;
  /** Runs skopeo with an environment that has only what the test gives (plus PATH, HOME). */
  skopeo(args: string[], env?: Record<string, string>): Promise<Run>;
  /** Pulls `imageRef` into a fresh layout; `ok` only when the manifest digest is the pushed one. */
  pull(name: string, args: string[], env?: Record<string, string>): Promise<Run>;
  /** Stops the server (the data stays until {@link close}), so that no call can reach it. */
  stopServer(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server, creates A and B, the repository, the image and the role. */
export async function startLoginWorld(): Promise<LoginWorld> {
  const t = await startServer();
  const host = new URL(t.endpoint).host;
  const [a, b] = await Promise.all([t.createAccount('registry', A), t.createAccount('consumer', B)]);
  const ecrA = ecrClient(t.endpoint, a);
  await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
  const iamA = new IAMClient({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: sdkCredentials(a),
    maxAttempts: 1,
  });
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
  const iamB = new IAMClient({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: sdkCredentials(b),
    maxAttempts: 1,
  });
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
  const puller = { AccessKeyId: key.AccessKeyId!, SecretAccessKey: key.SecretAccessKey! };
  iamB.destroy();

  const work = await mkdtemp(join(tmpdir(), 'crossdock-login-e2e-'));
  const baseEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    XDG_RUNTIME_DIR: work,
    XDG_CONFIG_HOME: join(work, '.config'),
    XDG_DATA_HOME: join(work, '.local', 'share'),
    DOCKER_CONFIG: join(work, 'no-docker-config'),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const skopeo = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(SKOPEO, args, { env: { ...baseEnv, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ ok: err === null, out: `${stdout}${stderr}${err !== null ? err.message : ''}` }),
      );
    });

  const image = await makeOciLayout([{ 'app.txt': 'cross-account app v1\n' }], 'v1');
  const imageRef = `docker://${host}/${A}/team/app:v1`;
  const { password } = await registryLogin(ecrA);
  ecrA.destroy();
  const push = await skopeo([
    'copy',
    '--insecure-policy',
    '--dest-tls-verify=false',
    '--dest-creds',
    `AWS:${password}`,
    `oci:${image.dir}:v1`,
    imageRef,
  ]);
  if (!push.ok) throw new Error(`pushing the test image failed: ${push.out}`);

  let stopped = false;
  let n = 0;
  const dir = async (name: string) => {
    const d = join(work, `${name}-${++n}`);
    await mkdir(d, { recursive: true });
    return d;
  };
  return {
    t,
    host,
    a,
    b,
    puller,
    image,
    imageRef,
    work,
    dir,
    skopeo,
    async pull(name, args, env) {
      const dest = await dir(name);
      const r = await skopeo(
        ['copy', '--insecure-policy', '--src-tls-verify=false', ...args, imageRef, `oci:${dest}:v1`],
        env,
      );
      if (!r.ok) return r;
      const index = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      };
      const digest = index.manifests[0]?.digest;
      return digest === image.manifestDigest
        ? r
        : { ok: false, out: `pulled ${digest}, pushed ${image.manifestDigest}` };
    },
    async stopServer() {
      if (stopped) return;
      stopped = true;
      await t.server.close();
    },
    async close() {
      if (!stopped) await t.server.close();
      stopped = true;
      await rm(t.dataDir, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
      await rm(image.dir, { recursive: true, force: true });
    },
  };
}
