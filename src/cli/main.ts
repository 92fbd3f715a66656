// First: silences the SDK's Node.js support warning before any client is built.
import './quietSdk.js';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { accountsCommand } from './accounts.js';
import { instanceProfileCommand } from './instanceProfile.js';
import { accessCommand } from './access.js';
import { copyCommand } from './copy.js';
import { explainCommand } from './explain.js';
import { grantCommand } from './grant.js';
import { k8sCommand, parseDuration } from './k8s.js';
import { lifecycleCommand } from './lifecycle.js';
import { lintCommand } from './lint.js';
import { loginCommand } from './login.js';
import { verifyCommand } from './verify.js';
import { serve, type ServeOptions } from '../server/main.js';

const USAGE = `usage: crossdock <command> [options]

commands:
  start                     serve with the defaults (port ${7560}, data in ./.crossdock)
  serve --port P --data DIR [--host 127.0.0.1] [--region us-east-1] [--tls-cert F --tls-key F | --tls self-signed]
                            [--registry-style path|host] [--registry-domain localhost]
                            [--lifecycle-interval 1h] [--gc-grace 24h]
  accounts create --endpoint URL --alias NAME [--account-id 12DIGITS]
  lifecycle run (--endpoint URL | --data DIR) [--gc-grace 24h] [--json]
  instance-profile --endpoint URL (--role-arn ARN | --instance-profile-name NAME) --port P [--host H] [--ecs]
  login <registry-uri> [--role-arn ARN] [--profile P] [--endpoint URL] [--region R]
        [--docker-config DIR] [--auth-file FILE] [--scope host|registry] [--json]
  lint <policy.json> [--type repository|identity|trust|registry] [--json] [--profile P ... [--endpoint URL]]
  explain --principal ARN (--action A --repository ARN|URI | --image REF) [--owner-profile P]
          [--consumer-profile P] [--endpoint URL] [--json]
  grant --repository ARN|URI --to PRINCIPAL_ARN|ACCOUNT_ID [--pull|--push] [--via-role NAME]
        [--condition-tag K=V] [--org o-xxxx] [--service NAME --source-arn ARN] [--owner-profile P]
        [--consumer-profile P] [--profile P] [--endpoint URL] [--region R] [--apply] [--json]
  verify --repository ARN|URI [--tag T] [--as PROFILE|ROLE_ARN] [--profile P] [--push] [--endpoint URL]
         [--region R] [--json]
  access [--account A] [--profile P] [--profiles P1,P2,...] [--endpoint URL] [--region R]
         [--format table|json|csv]
  k8s pull-secret --namespace NS --name NAME --registry <registry-uri> [--role-arn ARN] [--profile P]
        [--endpoint URL] [--region R] [--output yaml|json] [--apply [--kubeconfig FILE] [--context CTX]
        [--refresh 6h]]
  copy SRC DEST [DEST...] [--platform OS/ARCH[/VARIANT]] [--src-role-arn ARN]
       [--dest-role-arn ARN | --dest-role-arn DEST=ARN ...] [--profile P] [--region R] [--json]`;

/** The default port of `crossdock start`. */
export const DEFAULT_PORT = 7560;

/** Runs until SIGINT/SIGTERM, then shuts down gracefully (in-flight requests finish, the database closes). */
async function runServer(opts: ServeOptions, banner: boolean): Promise<number> {
  const server = await serve(opts);
  if (banner) {
    const creds = server.managementCredentialsFile;
    console.log(`crossdock is listening on ${server.url}
  management account credentials: ${creds}
  try it with the AWS CLI:
    export AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId ${creds}) AWS_SECRET_ACCESS_KEY=$(jq -r .SecretAccessKey ${creds}) AWS_DEFAULT_REGION=${opts.region ?? 'us-east-1'}
    aws --endpoint-url ${server.url} sts get-caller-identity`);
  }
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

function serveOptions(args: string[]): ServeOptions | string {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      tls: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-level': { type: 'string' },
      'management-account-id': { type: 'string' },
      'registry-style': { type: 'string' },
      'registry-domain': { type: 'string' },
      'lifecycle-interval': { type: 'string' },
      'gc-grace': { type: 'string' },
    },
  });
  const durations: { lifecycleIntervalMs?: number; gcGraceMs?: number } = {};
  try {
    if (values['lifecycle-interval'] !== undefined)
      durations.lifecycleIntervalMs =
        values['lifecycle-interval'] === '0' ? 0 : parseDuration(values['lifecycle-interval']);
    if (values['gc-grace'] !== undefined) durations.gcGraceMs = parseDuration(values['gc-grace']);
  } catch (e) {
    return `${(e as Error).message} (--lifecycle-interval, --gc-grace)`;
  }
  if (durations.gcGraceMs !== undefined && durations.gcGraceMs <= 60_000)
    return `--gc-grace must be longer than a minute, got \`${values['gc-grace']}\``;
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return `--port must be a port number, got \`${values.port}\``;
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    return '--tls-cert and --tls-key go together';
  if (values.tls !== undefined && values.tls !== 'self-signed')
    return `--tls takes \`self-signed\`, got \`${values.tls}\``;
  const style = values['registry-style'];
  if (style !== undefined && style !== 'path' && style !== 'host')
    return `--registry-style takes \`path\` or \`host\`, got \`${style}\``;
  return {
    port,
    ...durations,
    ...(style !== undefined && { registryStyle: style }),
    ...(values['registry-domain'] !== undefined && { registryDomain: values['registry-domain'] }),
    dataDir: resolve(values.data ?? '.crossdock'),
    ...(values.host !== undefined && { host: values.host }),
    ...(values.region !== undefined && { region: values.region }),
    ...(values['log-level'] !== undefined && { logLevel: values['log-level'] }),
    ...(values['management-account-id'] !== undefined && {
      managementAccountId: values['management-account-id'],
    }),
    ...(values.tls === 'self-signed' && { tls: 'self-signed' as const }),
    ...(values['tls-cert'] !== undefined &&
      values['tls-key'] !== undefined && {
        tls: { certFile: values['tls-cert'], keyFile: values['tls-key'] },
      }),
  };
}

/** The `crossdock` command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'start':
    case 'serve': {
      const opts = serveOptions(rest);
      if (typeof opts === 'string') {
        console.error(`crossdock: ${opts}\n${USAGE}`);
        return 2;
      }
      return runServer(opts, cmd === 'start');
    }
    case 'accounts':
      return accountsCommand(rest);
    case 'instance-profile':
      return instanceProfileCommand(rest);
    case 'login':
      return loginCommand(rest);
    case 'lint':
      return lintCommand(rest);
    case 'explain':
      return explainCommand(rest);
    case 'grant':
      return grantCommand(rest);
    case 'verify':
      return verifyCommand(rest);
    case 'access':
      return accessCommand(rest);
    case 'k8s':
      return k8sCommand(rest);
    case 'lifecycle':
      return lifecycleCommand(rest);
    case 'copy':
      return copyCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`crossdock: unknown command \`${cmd}\`\n${USAGE}`);
      return 2;
  }
}
