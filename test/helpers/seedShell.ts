// Runs a seed tutorial's lines as a user would type them, against a crossdock server: bash with
// `aws` (the real AWS CLI v2, or v1 where the tutorial needs `aws ecr get-login`), `skopeo` in
// place of docker for push and pull, and a `docker` function that only does `docker login` (by
// `skopeo login`), so that `$(aws ecr get-login ...)` can be pasted unmodified. Each identity gets
// its own home directory: its own registry auth file and skopeo cache, nothing from the real home.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AWS_CLI, awsCliMissing, cliEnv, type CliResult } from './awscli.js';

/** skopeo, the registry client the seed tests use in place of docker. */
export const SKOPEO = process.env.SKOPEO ?? '/usr/bin/skopeo';

/** Why the seed registry tests cannot run here, or undefined when they can. */
export const seedClientsMissing: string | undefined =
  awsCliMissing ??
  (existsSync(SKOPEO)
    ? undefined
    : `skopeo is not installed at ${SKOPEO} (Debian package skopeo; .ci/run installs it)`);

let v1: string | null | undefined;

/**
 * The AWS CLI v1 (the only one that still has `aws ecr get-login`), found once: `$AWS_CLI_V1`, or an
 * `aws` on PATH that says `aws-cli/1.`; undefined when there is none (Debian ships only v2).
 */
export function awsCliV1(): string | undefined {
  if (v1 !== undefined) return v1 ?? undefined;
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  const v2 = existsSync(AWS_CLI) ? realpathSync(AWS_CLI) : AWS_CLI;
  const candidates = [process.env.AWS_CLI_V1, ...dirs.map((d) => join(d, 'aws'))].filter(
    (c): c is string => c !== undefined && existsSync(c) && realpathSync(c) !== v2,
  );
  v1 = null;
  for (const c of new Set(candidates)) {
    try {
      const out = execFileSync(c, ['--version'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
        timeout: 30_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
      if (out.startsWith('aws-cli/1.')) {
        v1 = c;
        break;
      }
    } catch {
      // not a working CLI: try the next one
    }
  }
  return v1 ?? undefined;
}

// `aws` is the CLI pointed at crossdock (v2 takes --endpoint-url; v1 reads AWS_ENDPOINT_URL);
// `docker login` becomes `skopeo login` to the same registry (scheme dropped, plain HTTP).
const PRELUDE_COMMON = `set -o pipefail
docker() {
  if [ "$1" != login ]; then echo "docker $1: only docker login is emulated; use skopeo" >&2; return 2; fi
  shift; local user= pass= registry=
  while [ $# -gt 0 ]; do case "$1" in
    -u|--username) user=$2; shift 2;;
    -p|--password) pass=$2; shift 2;;
    --password-stdin) pass=$(cat); shift;;
    -e|--email) shift 2;;
    *) registry=$1; shift;;
  esac; done
  printf '%s' "$pass" | skopeo login --tls-verify=false --username "$user" --password-stdin "\${registry#*://}"
}
`;
const PRELUDE_V2 = `aws() { "$AWS_CLI" --endpoint-url "$CROSSDOCK_ENDPOINT" "$@"; }\n`;
const PRELUDE_V1 = `aws() { AWS_ENDPOINT_URL="$CROSSDOCK_ENDPOINT" "$AWS_CLI_V1" "$@"; }\n`;

/** Where transcripts go when `CROSSDOCK_SEED_TRANSCRIPT` names a directory (docs/seed-transcripts.md). */
const TRANSCRIPT_DIR = process.env.CROSSDOCK_SEED_TRANSCRIPT;

/** Shortens what a transcript shows: registry tokens and long lines. */
function abbreviate(text: string): string {
  return text
    .replace(/CDT1\.[A-Za-z0-9_.=-]+/g, 'CDT1.…')
    .replace(/"(authorizationToken|SessionToken|SecretAccessKey)": "[^"]+"/g, '"$1": "…"')
    .replace(/\b((?:AKIA|ASIA)[A-Z0-9]{16})\t[A-Za-z0-9/+]{40}\b/g, '$1\t…')
    .split('\n')
    .map((l) => (l.length > 700 ? `${l.slice(0, 700)}…` : l))
    .join('\n');
}

/** One seed's shell: a work directory, an identity per home, and the transcript of what ran. */
export class SeedShell {
  private constructor(
    readonly endpoint: string,
    readonly work: string,
    private readonly transcript: string | undefined,
  ) {}

  /** A shell for one test file; `name` names its transcript file. */
  static async create(endpoint: string, name: string): Promise<SeedShell> {
    const work = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'crossdock-seed-'));
    await mkdir(join(work, 'pulled'));
    let transcript: string | undefined;
    if (TRANSCRIPT_DIR !== undefined) {
      await mkdir(TRANSCRIPT_DIR, { recursive: true });
      transcript = join(TRANSCRIPT_DIR, `${name}.md`);
    }
    return new SeedShell(endpoint, work, transcript);
  }

  /** A fresh directory for `skopeo copy ... oci:<dir>:<tag>` to pull into. */
  pulled(name: string): string {
    return join(this.work, 'pulled', name);
  }

  /** `127.0.0.1:PORT`: what image references start with (path-style). */
  get registry(): string {
    return new URL(this.endpoint).host;
  }

  /**
   * The environment of one identity: its AWS credentials (or IMDS/ECS endpoint, or profile files)
   * and a home of its own for skopeo's auth file and cache.
   */
  async identity(name: string, vars: Record<string, string>): Promise<Record<string, string>> {
    const home = join(this.work, name);
    await mkdir(join(home, '.config'), { recursive: true });
    const v1Cli = awsCliV1();
    return cliEnv(this.endpoint, {
      HOME: home,
      XDG_RUNTIME_DIR: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      REGISTRY_AUTH_FILE: join(home, 'auth.json'),
      ...(v1Cli !== undefined && { AWS_CLI_V1: v1Cli }),
      ...vars,
    });
  }

  /**
   * Runs a script as the identity `env` describes; `aws` is the CLI v2 unless `cli: 1` (which needs
   * {@link awsCliV1}). `note` titles the step in the transcript.
   */
  async run(
    script: string,
    env: Record<string, string>,
    opts: { cli?: 1 | 2; note?: string } = {},
  ): Promise<CliResult> {
    const prelude = PRELUDE_COMMON + (opts.cli === 1 ? PRELUDE_V1 : PRELUDE_V2);
    const result = await new Promise<CliResult>((resolve) => {
      execFile(
        'bash',
        ['-c', prelude + script],
        { env, timeout: 90_000, cwd: this.work },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
          resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
        },
      );
    });
    if (this.transcript !== undefined) {
      const out = [result.stdout, result.stderr].filter((s) => s !== '').join('\n');
      await appendFile(
        this.transcript,
        `${opts.note !== undefined ? `\n# ${opts.note}\n` : '\n'}$ ${script.trim().split('\n').join('\n$ ')}\n` +
          `${abbreviate(out)}${out === '' ? '' : '\n'}[exit ${result.code}]\n`,
      );
    }
    return result;
  }

  /** Runs a script that must succeed; returns its stdout. */
  async ok(script: string, env: Record<string, string>, opts: { cli?: 1 | 2; note?: string } = {}) {
    const r = await this.run(script, env, opts);
    if (r.code !== 0) throw new Error(`script failed (exit ${r.code}):\n${script}\n${r.stderr}`);
    return r.stdout;
  }
}

/** The manifest digest of the image `skopeo copy ... oci:<dir>:<tag>` wrote. */
export async function layoutDigest(dir: string, tag: string): Promise<string | undefined> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  return index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)?.digest;
}

/** The digest of the manifest `skopeo copy ... dir:<dir>` wrote, exactly as the registry served it. */
export async function dirDigest(dir: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await readFile(join(dir, 'manifest.json')))
    .digest('hex')}`;
}

/** The tags of `aws ecr list-images` output (`{"imageIds": [...]}`). */
export function listedTags(stdout: string): string[] {
  const out = JSON.parse(stdout) as { imageIds: { imageTag?: string; imageDigest: string }[] };
  return out.imageIds.flatMap((i) => (i.imageTag !== undefined ? [i.imageTag] : [])).sort();
}

/** Why AWS denied a request, as its AccessDenied sentence ends. */
export type DenialReason = 'no-identity' | 'no-resource' | 'explicit-identity' | 'explicit-resource';

/** AWS's AccessDenied sentence: `User: <arn> is not authorized to perform: <action> on resource: <arn> <reason>`. */
export function deniedSentence(
  principal: string,
  action: string,
  resource: string,
  why: DenialReason,
): string {
  const reason = {
    'no-identity': `because no identity-based policy allows the ${action} action`,
    'no-resource': `because no resource-based policy allows the ${action} action`,
    'explicit-identity': 'with an explicit deny in an identity-based policy',
    'explicit-resource': 'with an explicit deny in a resource-based policy',
  }[why];
  return `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} ${reason}`;
}

/** What the AWS CLI prints for an AccessDeniedException of ECR operation `op`. */
export function cliDenied(op: string, sentence: string): string {
  return `An error occurred (AccessDeniedException) when calling the ${op} operation: ${sentence}`;
}
