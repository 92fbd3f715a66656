/**
 * Where the toolkit's commands send their AWS calls and with whose credentials: the standard
 * credential chain (environment, `--profile`/`AWS_PROFILE`, SSO, IMDS...) as the AWS CLI resolves
 * it, optionally a role assumed first, and `--endpoint` (or `CROSSDOCK_ENDPOINT`) to talk to a
 * crossdock server instead of AWS. Every command builds its SDK clients through {@link awsConfig}
 * so that the same flags mean the same thing everywhere.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { configuredRegion } from './signedCall.js';

/** Where and as whom: the flags every toolkit command accepts. */
export interface AwsTarget {
  /** A crossdock server (`http://127.0.0.1:7560`); AWS itself when absent. */
  readonly endpoint?: string;
  /** A named profile of the AWS config files; the default chain when absent. */
  readonly profile?: string;
  readonly region?: string;
}

/** The configuration an AWS SDK v3 client takes. */
export interface AwsClientConfig {
  readonly region: string;
  readonly credentials: AwsCredentialIdentityProvider;
  readonly endpoint?: string;
  readonly maxAttempts: number;
}

/** The endpoint a command talks to: `--endpoint`, else `CROSSDOCK_ENDPOINT`, else AWS. */
export function resolveEndpoint(flag: string | undefined): string | undefined {
  return flag ?? process.env.CROSSDOCK_ENDPOINT ?? undefined;
}

/** SDK client configuration for a target, with the standard credential chain. */
export function awsConfig(target: AwsTarget): AwsClientConfig {
  const endpoint = resolveEndpoint(target.endpoint);
  return {
    region: target.region ?? configuredRegion(),
    credentials: defaultProvider(target.profile !== undefined ? { profile: target.profile } : {}),
    ...(endpoint !== undefined && { endpoint }),
    maxAttempts: 2,
  };
}

/**
 * The same target as `roleArn`: the role is assumed once with the target's credentials, and the
 * session's temporary credentials are used until they expire.
 */
export async function assumeRoleConfig(
  target: AwsTarget,
  roleArn: string,
  sessionName = 'crossdock',
): Promise<AwsClientConfig & { readonly identity: AwsCredentialIdentity }> {
  return assumeRoleFrom(awsConfig(target), roleArn, sessionName);
}

/**
 * {@link assumeRoleConfig} from a configuration already built, for callers that must decide the
 * endpoint themselves (a credential helper sends Amazon ECR hosts to AWS even when
 * `CROSSDOCK_ENDPOINT` is set, so that a crossdock token never reaches AWS or the reverse).
 */
export async function assumeRoleFrom(
  base: AwsClientConfig,
  roleArn: string,
  sessionName = 'crossdock',
): Promise<AwsClientConfig & { readonly identity: AwsCredentialIdentity }> {
  const out = await new STSClient(base).send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
    throw new Error(`sts:AssumeRole on \`${roleArn}\` returned no credentials`);
  const identity: AwsCredentialIdentity = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken !== undefined && { sessionToken: c.SessionToken }),
    ...(c.Expiration !== undefined && { expiration: c.Expiration }),
  };
  return { ...base, credentials: async () => identity, identity };
}
