/**
 * `crossdock lint <policy.json>`: AWS's verdict on a policy document (the error code and message
 * the owning service would answer, pointing at the statement) and the findings that matter when
 * sharing ECR images across accounts. The analysis lives in `analysis/findings.ts`; this file reads
 * the file, parses flags and prints.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListRolesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  LINT_TYPES,
  lintPolicy,
  namedPrincipals,
  nearestName,
  show,
  withMissingPrincipals,
  type LintResult,
  type LintType,
  type MissingPrincipal,
  type NamedPrincipal,
} from './analysis/findings.js';
import { awsConfig, resolveEndpoint, type AwsTarget } from './aws.js';
import { accountOf } from './explain.js';

/** The `--help` text; exported so the usage tests and main's help agree with it. */
export const LINT_USAGE = `usage: crossdock lint <policy.json> [--type repository|identity|trust|registry] [--json]
                      [--profile P ... | --check-principals] [--endpoint URL]

Validates a policy document as AWS does (IAM's MalformedPolicyDocument, ECR's
InvalidParameterException, with the statement it is about) and reports security findings:
  root-principal                    an account principal (arn:aws:iam::ACCT:root) where a role was likely meant
  public-principal                  Principal "*" without a condition
  not-principal-allow               NotPrincipal with Allow
  service-principal-without-source  a service principal without an aws:SourceArn/aws:SourceAccount condition
  missing-get-authorization-token   an identity policy that pulls or pushes but cannot log in
  get-authorization-token-scoped    ecr:GetAuthorizationToken (no resource type) scoped to a resource
  unknown-action                    an action that does not exist
  resource-in-repository-policy     Resource in a repository policy (ECR rejects it)
  principal-not-found               an IAM user or role named as a principal that does not exist
                                    (with --profile: ECR's opaque 'Invalid repository policy provided')

--profile P (repeatable) looks up every IAM user and role the document names as a principal with
the credentials of P, in P's account (--check-principals: the standard credential chain);
principals of accounts without credentials are listed as not checked. --endpoint URL sends those
calls to a crossdock server (default: CROSSDOCK_ENDPOINT, else AWS).

--type is guessed when absent: no Principal → identity; a Principal and only sts: actions → trust;
a Principal, Resource and a registry-level action → registry; otherwise repository.
"-" reads the document from standard input.

exit status: 0 clean, 1 findings, 2 invalid document or usage error`;

/** `crossdock lint ...`; returns the exit code. */
export async function lintCommand(args: string[]): Promise<number> {
  let values: {
    type?: string;
    json?: boolean;
    help?: boolean;
    profile?: string[];
    'check-principals'?: boolean;
    endpoint?: string;
    region?: string;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        type: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        profile: { type: 'string', multiple: true },
        'check-principals': { type: 'boolean' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
      },
    }));
  } catch (e) {
    return usage((e as Error).message);
  }
  if (values.help === true) {
    console.log(LINT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) return usage('lint takes exactly one policy file');
  const type = values.type;
  if (type !== undefined && !(LINT_TYPES as readonly string[]).includes(type))
    return usage(`--type takes ${LINT_TYPES.join(', ')}, got \`${type}\``);
  const file = positionals[0] as string;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    console.error(`crossdock: cannot read \`${file}\`: ${(e as Error).message}`);
    return 2;
  }
  let result = lintPolicy(text, type as LintType | undefined);
  let lookup: PrincipalCheck | undefined;
  const profiles = values.profile ?? [];
  if (profiles.length > 0 || values['check-principals'] === true) {
    const endpoint = resolveEndpoint(values.endpoint);
    const base = {
      ...(endpoint !== undefined && { endpoint }),
      ...(values.region !== undefined && { region: values.region }),
    };
    const targets: AwsTarget[] =
      profiles.length > 0 ? profiles.map((profile) => ({ ...base, profile })) : [base];
    try {
      lookup = await checkPrincipals(namedPrincipals(text), targets);
    } catch (e) {
      console.error(`crossdock lint: ${(e as Error).message}`);
      return 2;
    }
    result = withMissingPrincipals(result, lookup.missing);
  }
  if (values.json === true)
    console.log(
      JSON.stringify(
        {
          file,
          ...result,
          ...(lookup !== undefined && {
            principals: { checked: lookup.checked, notChecked: lookup.notChecked },
          }),
        },
        null,
        2,
      ),
    );
  else console.log(render(file, result, lookup));
  if (!result.valid) return 2;
  return result.findings.length > 0 ? 1 : 0;
}

/** What looking up the named principals found. */
interface PrincipalCheck {
  /** ARNs looked up (found or not). */
  readonly checked: readonly string[];
  readonly missing: readonly MissingPrincipal[];
  readonly notChecked: readonly { readonly arn: string; readonly why: string }[];
}

/**
 * Looks up each named IAM user and role with the credentials of its account: by name, then by its
 * exact ARN (a path is part of it, as AWS matches it). For one that is missing, the nearest name
 * of the same kind in that account is offered.
 */
async function checkPrincipals(
  named: readonly NamedPrincipal[],
  targets: readonly AwsTarget[],
): Promise<PrincipalCheck> {
  const byAccount = new Map<string, AwsTarget>();
  for (const t of targets) {
    const account = await accountOf(t);
    if (!byAccount.has(account)) byAccount.set(account, t);
  }
  const checked: string[] = [];
  const missing: MissingPrincipal[] = [];
  const notChecked: { arn: string; why: string }[] = [];
  const found = new Map<string, string | undefined | false>();
  const clients = new Map<string, IAMClient>();
  try {
    for (const p of named) {
      const target = byAccount.get(p.accountId);
      if (target === undefined) {
        if (!notChecked.some((n) => n.arn === p.arn))
          notChecked.push({ arn: p.arn, why: `no credentials of account ${p.accountId} (pass --profile)` });
        continue;
      }
      let iam = clients.get(p.accountId);
      if (iam === undefined) {
        iam = new IAMClient(awsConfig(target));
        clients.set(p.accountId, iam);
      }
      // undefined: exists; a string: missing, with the nearest ARN; false: missing, none near.
      if (!found.has(p.arn)) found.set(p.arn, await lookUp(iam, p));
      if (!checked.includes(p.arn)) checked.push(p.arn);
      const near = found.get(p.arn);
      if (near !== undefined) missing.push({ principal: p, ...(near !== false && { near }) });
    }
  } finally {
    for (const c of clients.values()) c.destroy();
  }
  return { checked, missing, notChecked };
}

/** `undefined` when the principal exists; otherwise the nearest existing ARN of its kind, or false. */
async function lookUp(iam: IAMClient, p: NamedPrincipal): Promise<string | false | undefined> {
  try {
    const arn =
      p.kind === 'role'
        ? (await iam.send(new GetRoleCommand({ RoleName: p.name }))).Role?.Arn
        : (await iam.send(new GetUserCommand({ UserName: p.name }))).User?.Arn;
    if (arn === p.arn) return undefined;
    if (arn !== undefined) return arn; // the same name under another path
  } catch (e) {
    const name = (e as { name?: string }).name ?? '';
    if (name !== 'NoSuchEntityException' && name !== 'NoSuchEntity')
      throw new Error(
        `cannot look up ${p.kind} \`${p.name}\` in account ${p.accountId}: ${name}: ${(e as Error).message}`,
      );
  }
  const arns: string[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out =
      p.kind === 'role'
        ? await iam.send(new ListRolesCommand({ Marker: marker }))
        : await iam.send(new ListUsersCommand({ Marker: marker }));
    const items = 'Roles' in out ? (out.Roles ?? []) : 'Users' in out ? (out.Users ?? []) : [];
    for (const i of items) if (i.Arn !== undefined) arns.push(i.Arn);
    if (out.IsTruncated !== true || out.Marker === undefined) break;
    marker = out.Marker;
  }
  const byName = new Map(arns.map((a) => [a.slice(a.lastIndexOf('/') + 1), a]));
  const near = nearestName(p.name, byName.keys());
  return near !== undefined ? (byName.get(near) as string) : false;
}

/** The human-readable report: AWS's verdict first, then one block per finding. */
function render(file: string, r: LintResult, lookup?: PrincipalCheck): string {
  const lines: string[] = [];
  lines.push(`${file}: ${r.type} policy${r.typeGuessed ? ' (guessed; --type to choose)' : ''}`);
  if (r.error !== undefined) {
    const where = r.error.statement !== undefined ? ` (statement ${show(r.error.statement)})` : '';
    lines.push(`  invalid: ${r.error.code}: ${r.error.message}${where}`);
    if (r.error.detail !== undefined) lines.push(`    reason: ${r.error.detail}`);
  }
  for (const f of r.findings) {
    lines.push(`  ${f.severity} ${f.id}: ${f.message}`);
    lines.push(`    rule: ${f.rule}`);
  }
  for (const n of lookup?.notChecked ?? []) lines.push(`  not checked: \`${n.arn}\`: ${n.why}`);
  if (r.valid && r.findings.length === 0) lines.push('  no findings');
  else if (r.findings.length > 0)
    lines.push(`${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function usage(problem: string): number {
  console.error(`crossdock lint: ${problem}\n${LINT_USAGE}`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
