/**
 * `crossdock access`: who can pull and push which repositories, across every account whose
 * credentials are given (one profile per account, or the default chain). It reads, with each
 * account's own credentials, the repositories with their policies and tags, the registry policy,
 * and every IAM user and role with its policies and boundary (as `crossdock explain` reads one
 * principal: `gatherIdentity`), then lets `analysis/matrix.ts` decide each pair with the engine and
 * flag external and public access, as IAM Access Analyzer's external-access findings do.
 */
import { parseArgs } from 'node:util';
import {
  ECRClient,
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { IAMClient, paginateListRoles, paginateListUsers } from '@aws-sdk/client-iam';
import type { ContextValue } from '../iam/index.js';
import type { FetchedPolicy } from './analysis/access.js';
import {
  buildMatrix,
  MATRIX_FORMATS,
  renderCsv,
  renderJson,
  renderTable,
  type AccountSnapshot,
  type KnownPrincipal,
  type MatrixFormat,
  type MatrixProblem,
  type RepositorySnapshot,
} from './analysis/matrix.js';
import { awsConfig, resolveEndpoint, type AwsTarget } from './aws.js';
import { accountOf, ExplainError, gatherIdentity, orgPolicies, type NotConsidered } from './explain.js';
import { configuredRegion } from './signedCall.js';

/** The `--help` text (and the usage line for `crossdock --help`). */
export const ACCESS_USAGE = `usage: crossdock access [--account A] [--profile P] [--profiles P1,P2,...] [--endpoint URL]
                       [--region R] [--format table|json|csv]

Lists which principals can pull and which can push each repository, across every account whose
credentials are given (each profile is one account's credentials; the default chain when none is
given), decided as AWS decides them. Flags: EXTERNAL (a principal of another account), PUBLIC
(Principal "*" lets any account in), ORG (Principal "*" limited to the organization). Principals
that repository policies name in accounts without credentials are listed with "identity side
unknown": the repository side allows them, their own account's policies were not read.

  --account A        only the repositories of account A (repeatable); principals of every
                     account read still count
  --profile P        one account's credentials (repeatable)
  --profiles P1,P2   several at once
  --endpoint URL     a crossdock server (default: CROSSDOCK_ENDPOINT, else AWS)
  --region R         the region of the repositories (default: AWS_REGION or us-east-1)
  --format F         table (default), json or csv

exit status: 0 listed, 2 error`;

/** A command line `access` cannot run with. */
export class AccessUsageError extends Error {}

/** The parsed command line. */
export interface AccessArgs {
  /** Profiles to read; empty means the default credential chain. */
  readonly profiles: readonly string[];
  readonly accounts?: readonly string[];
  readonly endpoint?: string;
  readonly region: string;
  readonly format: MatrixFormat;
}

/** Parses and checks the command line (no calls); `help` when `--help` was asked for. */
export function parseAccessArgs(args: string[]): AccessArgs | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        account: { type: 'string', multiple: true },
        profile: { type: 'string', multiple: true },
        profiles: { type: 'string', multiple: true },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new AccessUsageError((e as Error).message);
  }
  if (values.help === true) return 'help';
  const list = (k: string): string[] => (values[k] as string[] | undefined) ?? [];
  const profiles = [
    ...new Set([...list('profile'), ...list('profiles').flatMap((p) => p.split(','))].map((p) => p.trim())),
  ].filter((p) => p !== '');
  const accounts = list('account');
  for (const a of accounts)
    if (!/^\d{12}$/.test(a))
      throw new AccessUsageError(`--account takes a 12-digit account id, got \`${a}\``);
  const format = (values.format as string | undefined) ?? 'table';
  if (!(MATRIX_FORMATS as readonly string[]).includes(format))
    throw new AccessUsageError(`--format takes table, json or csv, got \`${format}\``);
  const endpoint = resolveEndpoint(values.endpoint as string | undefined);
  return {
    profiles,
    ...(accounts.length > 0 && { accounts }),
    ...(endpoint !== undefined && { endpoint }),
    region: (values.region as string | undefined) ?? configuredRegion(),
    format: format as MatrixFormat,
  };
}

/** Where the command writes; tests capture it. */
export interface AccessDeps {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  /** The clock behind aws:CurrentTime. */
  readonly now?: () => Date;
}

/** `crossdock access ...`; returns the exit code. */
export async function accessCommand(args: string[], deps: AccessDeps = {}): Promise<number> {
  const out = deps.out ?? ((t: string) => console.log(t));
  const err = deps.err ?? ((t: string) => console.error(t));
  let parsed: AccessArgs | 'help';
  try {
    parsed = parseAccessArgs(args);
  } catch (e) {
    if (!(e instanceof AccessUsageError)) throw e;
    err(`crossdock access: ${e.message}\n${ACCESS_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    out(ACCESS_USAGE);
    return 0;
  }
  let snapshots: AccountSnapshot[];
  const notConsidered: NotConsidered[] = [];
  try {
    snapshots = await collectAccounts(parsed, notConsidered);
  } catch (e) {
    if (e instanceof ExplainError) {
      err(`crossdock access: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const matrix = buildMatrix(snapshots, {
    ...(parsed.accounts !== undefined && { repositoryAccounts: parsed.accounts }),
    context: requestContext(parsed, (deps.now ?? (() => new Date()))()),
  });
  const problems: MatrixProblem[] = [...notConsidered, ...matrix.problems];
  const full = { rows: matrix.rows, problems };
  const ids = snapshots.map((s) => s.accountId);
  if (parsed.format === 'json') out(renderJson(full, ids));
  else if (parsed.format === 'csv') {
    out(renderCsv(full));
    for (const p of problems) err(`crossdock access: not considered: ${p.what}: ${p.why}`);
  } else out(`accounts read: ${ids.join(', ')} (${parsed.region})\n${renderTable(full)}`);
  return 0;
}

/** The global keys of the requests, as a client calling now would send them. */
function requestContext(a: AccessArgs, now: Date): Record<string, ContextValue> {
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'aws:CurrentTime': iso,
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:RequestedRegion': a.region,
    'aws:SecureTransport': a.endpoint?.startsWith('http://') === true ? 'false' : 'true',
    'aws:ViaAWSService': 'false',
  };
}

/** Reads every account once: several profiles of one account count once. */
export async function collectAccounts(
  a: AccessArgs,
  notConsidered: NotConsidered[],
): Promise<AccountSnapshot[]> {
  const base = { region: a.region, ...(a.endpoint !== undefined && { endpoint: a.endpoint }) };
  const targets: AwsTarget[] =
    a.profiles.length === 0 ? [base] : a.profiles.map((profile) => ({ ...base, profile }));
  const seen = new Set<string>();
  const out: AccountSnapshot[] = [];
  for (const target of targets) {
    const accountId = await accountOf(target);
    if (seen.has(accountId)) continue;
    seen.add(accountId);
    out.push(await snapshotAccount(target, accountId, notConsidered));
  }
  return out;
}

function why(e: unknown): string {
  const x = e as { name?: string; message?: string };
  return `${x.name ?? 'Error'}: ${x.message ?? String(e)}`;
}

function named(e: unknown, ...names: string[]): boolean {
  return names.includes((e as { name?: string }).name ?? '');
}

/** One account: its repositories (region of `target`), registry policy, users and roles, SCPs and RCPs. */
async function snapshotAccount(
  target: AwsTarget,
  accountId: string,
  notConsidered: NotConsidered[],
): Promise<AccountSnapshot> {
  const config = awsConfig(target);
  const ecr = new ECRClient(config);
  const iam = new IAMClient(config);
  const region = config.region;

  const repositories: RepositorySnapshot[] = [];
  try {
    for await (const page of paginateDescribeRepositories({ client: ecr }, {})) {
      for (const r of page.repositories ?? []) {
        if (r.repositoryName === undefined) continue;
        repositories.push(
          await snapshotRepository(ecr, accountId, region, r.repositoryName, r.repositoryArn, notConsidered),
        );
      }
    }
  } catch (e) {
    notConsidered.push({ what: `the repositories of ${accountId}`, why: why(e) });
  }

  let registryPolicy: FetchedPolicy | undefined;
  try {
    const o = await ecr.send(new GetRegistryPolicyCommand({}));
    if (o.policyText !== undefined)
      registryPolicy = {
        id: `registry-policy:${accountId}`,
        label: `the registry policy of ${accountId} (${region})`,
        text: o.policyText,
        origin: { kind: 'registry' },
      };
  } catch (e) {
    if (!named(e, 'RegistryPolicyNotFoundException'))
      notConsidered.push({ what: `the registry policy of ${accountId}`, why: why(e) });
  }

  const principals: KnownPrincipal[] = [];
  const entities: { kind: 'user' | 'role'; name: string; arn: string }[] = [];
  try {
    for await (const page of paginateListUsers({ client: iam }, {}))
      for (const u of page.Users ?? [])
        if (u.UserName !== undefined && u.Arn !== undefined)
          entities.push({ kind: 'user', name: u.UserName, arn: u.Arn });
    for await (const page of paginateListRoles({ client: iam }, {}))
      for (const r of page.Roles ?? [])
        if (
          r.RoleName !== undefined &&
          r.Arn !== undefined &&
          r.Path?.startsWith('/aws-service-role/') !== true
        )
          entities.push({ kind: 'role', name: r.RoleName, arn: r.Arn });
  } catch (e) {
    notConsidered.push({ what: `the IAM users and roles of ${accountId}`, why: why(e) });
  }
  for (const en of entities) {
    try {
      const id = await gatherIdentity(
        iam,
        { kind: en.kind, accountId, arn: en.arn, name: en.name },
        notConsidered,
      );
      principals.push({
        kind: en.kind,
        arn: id.principalArn,
        accountId,
        name: en.name,
        ...(id.uniqueId !== undefined && { uniqueId: id.uniqueId }),
        ...(id.tags !== undefined && { tags: id.tags }),
        identity: id.identity,
        ...(id.boundary !== undefined && { boundary: id.boundary }),
      });
    } catch (e) {
      notConsidered.push({
        what: `${en.kind} ${en.arn}`,
        why: e instanceof ExplainError ? e.message : why(e),
      });
    }
  }

  const scp = await orgPolicies('scp', accountId, target, target, notConsidered);
  const rcp = await orgPolicies('rcp', accountId, target, target, notConsidered);
  return {
    accountId,
    ...(scp.orgId !== undefined && { orgId: scp.orgId }),
    principals,
    repositories,
    ...(registryPolicy !== undefined && { registryPolicy }),
    ...(scp.levels !== undefined && { scp: scp.levels }),
    ...(rcp.levels !== undefined && { rcp: rcp.levels }),
  };
}

async function snapshotRepository(
  ecr: ECRClient,
  accountId: string,
  region: string,
  name: string,
  arn: string | undefined,
  notConsidered: NotConsidered[],
): Promise<RepositorySnapshot> {
  const target = {
    arn: arn ?? `arn:aws:ecr:${region}:${accountId}:repository/${name}`,
    accountId,
    region,
    name,
  };
  let policy: FetchedPolicy | undefined;
  try {
    const o = await ecr.send(new GetRepositoryPolicyCommand({ registryId: accountId, repositoryName: name }));
    if (o.policyText !== undefined)
      policy = {
        id: `repository-policy:${accountId}/${name}`,
        label: `the repository policy of \`${name}\` (account ${accountId})`,
        text: o.policyText,
        origin: { kind: 'repository' },
      };
  } catch (e) {
    if (!named(e, 'RepositoryPolicyNotFoundException'))
      notConsidered.push({ what: `the repository policy of \`${name}\` (${accountId})`, why: why(e) });
  }
  let tags: Record<string, string> | undefined;
  try {
    const o = await ecr.send(new ListTagsForResourceCommand({ resourceArn: target.arn }));
    if (o.tags !== undefined && o.tags.length > 0) {
      tags = {};
      for (const t of o.tags) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
    }
  } catch (e) {
    notConsidered.push({ what: `the tags of \`${name}\` (${accountId})`, why: why(e) });
  }
  return { target, ...(policy !== undefined && { policy }), ...(tags !== undefined && { tags }) };
}
