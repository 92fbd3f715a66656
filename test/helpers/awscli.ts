// Runs the real AWS CLI v2 (Debian's `awscli`, /usr/bin/aws) against a crossdock endpoint. Scripts
// run in bash with `aws` defined as the CLI pointed at crossdock (v2.9 ignores AWS_ENDPOINT_URL),
// so tutorial lines can be pasted unmodified.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AccountCredentials } from './server.js';

/** The AWS CLI v2 binary; `.ci/run` installs Debian's awscli. */
export const AWS_CLI = process.env.AWS_CLI_V2 ?? '/usr/bin/aws';

/** Why the CLI tests cannot run here, or undefined when they can. */
export const awsCliMissing: string | undefined = existsSync(AWS_CLI)
  ? undefined
  : `the AWS CLI v2 is not installed at ${AWS_CLI} (.ci/run installs Debian's awscli)`;

/** What a CLI run printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** An environment with no stray AWS configuration: only what the test gives. */
export function cliEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_CLI: AWS_CLI,
    CROSSDOCK_ENDPOINT: endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    ...extra,
  };
}

/** Static credentials of an account's root key (or a user's key) as environment variables. */
export function keyEnv(
  c: Pick<AccountCredentials, 'AccessKeyId' | 'SecretAccessKey'>,
): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey };
}

/** Runs a bash script in which `aws` is the real CLI v2 pointed at the endpoint. */
export function sh(script: string, env: Record<string, string>): Promise<CliResult> {
  const prelude = 'set -o pipefail\naws() { "$AWS_CLI" --endpoint-url "$CROSSDOCK_ENDPOINT" "$@"; }\n';
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

/** Runs one `aws` command with arguments (no shell quoting to worry about). */
export function aws(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      ['--endpoint-url', env.CROSSDOCK_ENDPOINT ?? '', ...args],
      { env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
      },
    );
  });
}
