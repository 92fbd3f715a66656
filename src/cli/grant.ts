/**
 * `crossdock grant`: sets up a cross-account pull or push the least-privilege way, on both sides at
 * once. The statements come from `analysis/grantPlan.ts`; this file reads what exists with the SDK
 * (the owner's credentials for the repository policy and the role, the consumer's for its identity
 * policy), shows the difference, checks every document with the engine and, with `--apply`, writes
 * them. Statements are merged by Sid, so a second run changes nothing and other statements survive.
 */
import { parseArgs } from 'node:util';
import { ECRClient, GetRepositoryPolicyCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  checkDocument,
  GrantSpecError,
  mergeStatements,
  planGrant,
  UnmergeableDocumentError,
  type DocumentCheck,
  type GrantSpec,
  type MergedDocument,
  type PlannedDocument,
} from './analysis/grantPlan.js';
import { parsePrincipal, parseRepository, TargetError, type PrincipalTarget } from './analysis/targets.js';
import { awsConfig, resolveEndpoint, type AwsClientConfig, type AwsTarget } from './aws.js';
import { configuredRegion } from './signedCall.js';

/** The `--help` text; exported so main's usage and the tests agree with it. */
export const GRANT_USAGE = `usage: crossdock grant --repository ARN|URI --to PRINCIPAL_ARN|ACCOUNT_ID [--pull|--push] [options]

Computes the least-privilege policies for a cross-account pull (or push) and shows how they differ
from what exists; --apply writes them. Statements are merged by Sid (crossdock-pull-<grantee> in the
repository policy, Crossdock* in the inline policy \`crossdock-ecr\`), so other statements are kept
and a second run changes nothing.

  --repository ARN|URI       arn:aws:ecr:REGION:ACCT:repository/NAME or a repositoryUri
  --to ARN|ACCOUNT           the grantee: arn:aws:iam::ACCT:user/NAME, ...:role/NAME, or an account id
  --pull | --push            pull only (default), or pull and push
  --via-role NAME            a role NAME in the repository's account that the grantee assumes (seed 000)
  --condition-tag K=V        the grantee must carry the principal tag K=V (repeatable)
  --org o-xxxxxxxxxx         every principal of the organization (Principal "*" + aws:PrincipalOrgID)
  --service NAME --source-arn ARN
                             also let a service (lambda) pull for the resource ARN
  --owner-profile P          credentials of the repository's account
  --consumer-profile P       credentials of the grantee's account
  --profile P                the profile for either of the above not given
  --endpoint URL             a crossdock server (default: CROSSDOCK_ENDPOINT, else AWS)
  --region R                 region of a path-style URI without one
  --apply                    write the changes (otherwise only show them)
  --json                     machine-readable output

exit status: 0 done (or nothing to do), 1 a document is refused or a call failed, 2 usage error`;

/** A command line grant cannot run with. */
export class GrantUsageError extends Error {}

/** The parsed command line. */
export interface GrantArgs {
  readonly spec: GrantSpec;
  readonly ownerProfile?: string;
  readonly consumerProfile?: string;
  readonly endpoint?: string;
  readonly apply: boolean;
  readonly json: boolean;
}

/** Parses and checks the command line without any call; `help` when asked for. */
export function parseGrantArgs(args: string[]): GrantArgs | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        repository: { type: 'string' },
        to: { type: 'string' },
        pull: { type: 'boolean' },
        push: { type: 'boolean' },
        'via-role': { type: 'string' },
        'condition-tag': { type: 'string', multiple: true },
        org: { type: 'string' },
        service: { type: 'string' },
        'source-arn': { type: 'string' },
        'owner-profile': { type: 'string' },
        'consumer-profile': { type: 'string' },
        profile: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        apply: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new GrantUsageError((e as Error).message);
  }
  if (values.help === true) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const repoArg = str('repository');
  if (repoArg === undefined) throw new GrantUsageError('--repository is required');
  if (values.pull === true && values.push === true)
    throw new GrantUsageError('give --pull or --push, not both');
  if ((str('service') === undefined) !== (str('source-arn') === undefined))
    throw new GrantUsageError('--service and --source-arn go together');
  const tags: Record<string, string> = {};
  for (const t of (values['condition-tag'] as string[] | undefined) ?? []) {
    const eq = t.indexOf('=');
    if (eq <= 0 || eq === t.length - 1)
      throw new GrantUsageError(`--condition-tag takes KEY=VALUE, got \`${t}\``);
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  const region = str('region') ?? configuredRegion();
  try {
    const toArg = str('to');
    const spec: GrantSpec = {
      repository: parseRepository(repoArg, region),
      ...(toArg !== undefined && { to: parsePrincipal(toArg) }),
      access: values.push === true ? 'push' : 'pull',
      ...(str('via-role') !== undefined && { viaRole: str('via-role') as string }),
      ...(Object.keys(tags).length > 0 && { conditionTags: tags }),
      ...(str('org') !== undefined && { orgId: str('org') as string }),
      ...(str('service') !== undefined && {
        service: { name: str('service') as string, sourceArn: str('source-arn') as string },
      }),
    };
    planGrant(spec); // reports impossible combinations before any call
    const profile = str('profile');
    const ownerProfile = str('owner-profile') ?? profile;
    const consumerProfile = str('consumer-profile') ?? profile;
    const endpoint = resolveEndpoint(str('endpoint'));
    return {
      spec,
      ...(ownerProfile !== undefined && { ownerProfile }),
      ...(consumerProfile !== undefined && { consumerProfile }),
      ...(endpoint !== undefined && { endpoint }),
      apply: values.apply === true,
      json: values.json === true,
    };
  } catch (e) {
    if (e instanceof TargetError || e instanceof GrantSpecError) throw new GrantUsageError(e.message);
    throw e;
  }
}

/** SDK configurations of both sides; tests inject them instead of profiles. */
export interface GrantDeps {
  readonly config: (side: 'owner' | 'consumer', a: GrantArgs) => AwsClientConfig;
  readonly print: (line: string) => void;
  readonly printError: (line: string) => void;
}

/** The configurations `--owner-profile`, `--consumer-profile` and `--endpoint` describe. */
export const defaultGrantDeps: GrantDeps = {
  config: (side, a) => {
    const profile = side === 'owner' ? a.ownerProfile : a.consumerProfile;
    const target: AwsTarget = {
      region: a.spec.repository.region,
      ...(a.endpoint !== undefined && { endpoint: a.endpoint }),
      ...(profile !== undefined && { profile }),
    };
    return awsConfig(target);
  },
  print: (line) => console.log(line),
  printError: (line) => console.error(line),
};

/** A planned document with what exists, the merge and the engine's verdict. */
export interface DocumentOutcome {
  readonly planned: PlannedDocument;
  readonly existing?: string;
  /** Absent when the role a trust or role policy belongs to does not exist yet. */
  readonly roleExists?: boolean;
  readonly merged: MergedDocument;
  readonly check: DocumentCheck;
}

/** A failure that stops the grant (exit status 1). */
export class GrantError extends Error {}

/** An SDK error in one line. */
function why(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
}

function named(e: unknown, ...names: string[]): boolean {
  return names.includes((e as { name?: string }).name ?? '');
}

/** IAM returns documents URL-encoded; the SDK does not decode them. */
function decodeDocument(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

/** Clients of one side, built once. */
interface SideClients {
  readonly ecr: ECRClient;
  readonly iam: IAMClient;
  readonly config: AwsClientConfig;
}

/** The current text of a planned document, or undefined when there is none yet. */
async function fetchExisting(
  d: PlannedDocument,
  c: SideClients,
): Promise<{ text?: string; roleExists?: boolean }> {
  const place = d.place;
  try {
    switch (place.type) {
      case 'repository-policy': {
        try {
          const out = await c.ecr.send(
            new GetRepositoryPolicyCommand({
              registryId: place.registryId,
              repositoryName: place.repositoryName,
            }),
          );
          return out.policyText !== undefined ? { text: out.policyText } : {};
        } catch (e) {
          if (named(e, 'RepositoryPolicyNotFoundException')) return {};
          throw e;
        }
      }
      case 'trust-policy': {
        try {
          const out = await c.iam.send(new GetRoleCommand({ RoleName: place.roleName }));
          const text = decodeDocument(out.Role?.AssumeRolePolicyDocument);
          return { ...(text !== undefined && { text }), roleExists: true };
        } catch (e) {
          if (named(e, 'NoSuchEntity', 'NoSuchEntityException')) return { roleExists: false };
          throw e;
        }
      }
      case 'inline-policy': {
        try {
          const out =
            place.entity === 'user'
              ? await c.iam.send(
                  new GetUserPolicyCommand({ UserName: place.entityName, PolicyName: place.policyName }),
                )
              : await c.iam.send(
                  new GetRolePolicyCommand({ RoleName: place.entityName, PolicyName: place.policyName }),
                );
          const text = decodeDocument(out.PolicyDocument);
          return text !== undefined ? { text } : {};
        } catch (e) {
          // No such policy, or (for the role grant creates) no such role yet: nothing to merge into.
          if (named(e, 'NoSuchEntity', 'NoSuchEntityException')) return {};
          throw e;
        }
      }
    }
  } catch (e) {
    if (named(e, 'RepositoryNotFoundException'))
      throw new GrantError(
        `repository \`${d.place.type === 'repository-policy' ? d.place.repositoryName : ''}\` does not exist in registry ${d.account}`,
      );
    throw new GrantError(`cannot read the ${d.label}: ${why(e)}`);
  }
}

/** Writes one changed document with its side's credentials. */
async function write(o: DocumentOutcome, c: SideClients): Promise<void> {
  const place = o.planned.place;
  const text = o.merged.text;
  switch (place.type) {
    case 'repository-policy':
      await c.ecr.send(
        new SetRepositoryPolicyCommand({
          registryId: place.registryId,
          repositoryName: place.repositoryName,
          policyText: text,
        }),
      );
      return;
    case 'trust-policy':
      if (o.roleExists === false)
        await c.iam.send(
          new CreateRoleCommand({
            RoleName: place.roleName,
            AssumeRolePolicyDocument: text,
            Description: 'cross-account ECR access, created by crossdock grant',
          }),
        );
      else
        await c.iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: place.roleName, PolicyDocument: text }),
        );
      return;
    case 'inline-policy':
      if (place.entity === 'user')
        await c.iam.send(
          new PutUserPolicyCommand({
            UserName: place.entityName,
            PolicyName: place.policyName,
            PolicyDocument: text,
          }),
        );
      else
        await c.iam.send(
          new PutRolePolicyCommand({
            RoleName: place.entityName,
            PolicyName: place.policyName,
            PolicyDocument: text,
          }),
        );
      return;
  }
}

/** The account a side's credentials belong to, so a profile of the wrong account is caught before any write. */
async function accountOf(config: AwsClientConfig, side: string): Promise<string> {
  const sts = new STSClient(config);
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return out.Account ?? '';
  } catch (e) {
    throw new GrantError(`cannot use the ${side} credentials: ${why(e)}`);
  } finally {
    sts.destroy();
  }
}

/**
 * Fails when the grantee user or role does not exist (by its exact ARN, path included): AWS would
 * refuse the repository policy naming it with ECR's opaque `Invalid repository policy provided`
 * (and a trust policy with `Invalid principal in policy`), after the owner's side was half written.
 */
async function requireGrantee(to: PrincipalTarget, c: SideClients): Promise<void> {
  if (to.kind !== 'user' && to.kind !== 'role') return;
  let arn: string | undefined;
  try {
    arn =
      to.kind === 'user'
        ? (await c.iam.send(new GetUserCommand({ UserName: to.name }))).User?.Arn
        : (await c.iam.send(new GetRoleCommand({ RoleName: to.name }))).Role?.Arn;
  } catch (e) {
    if (!named(e, 'NoSuchEntity', 'NoSuchEntityException'))
      throw new GrantError(`cannot read ${to.kind} \`${to.name}\` of account ${to.accountId}: ${why(e)}`);
  }
  if (arn === to.arn) return;
  throw new GrantError(
    `${to.kind} \`${to.arn}\` does not exist${arn !== undefined ? ` (account ${to.accountId} has \`${arn}\`)` : ''}: ` +
      "AWS refuses a policy naming it ('Invalid repository policy provided'); create it first or fix --to",
  );
}

/** The whole grant; exported for tests, which call it with injected configurations. */
export async function runGrant(
  a: GrantArgs,
  deps: GrantDeps = defaultGrantDeps,
): Promise<{
  outcomes: DocumentOutcome[];
  notes: readonly string[];
  applied: number;
}> {
  const plan = planGrant(a.spec);
  const clients = new Map<'owner' | 'consumer', SideClients>();
  const sideClients = async (d: PlannedDocument): Promise<SideClients> => {
    let c = clients.get(d.side);
    if (c === undefined) {
      const config = deps.config(d.side, a);
      const account = await accountOf(config, d.side);
      if (account !== d.account)
        throw new GrantError(
          `the ${d.side} credentials are of account ${account}, but the ${d.label} is in account ${d.account}: ` +
            `pass --${d.side}-profile with credentials of account ${d.account}`,
        );
      c = { config, ecr: new ECRClient(config), iam: new IAMClient(config) };
      clients.set(d.side, c);
    }
    return c;
  };
  try {
    const outcomes: DocumentOutcome[] = [];
    let roleExists: boolean | undefined;
    for (const d of plan.documents) {
      const c = await sideClients(d);
      if (d.id === 'consumer-policy' && a.spec.to !== undefined) await requireGrantee(a.spec.to, c);
      // The role's inline policy cannot exist before the role does.
      const existing = d.id === 'role-policy' && roleExists === false ? {} : await fetchExisting(d, c);
      if (existing.roleExists !== undefined) roleExists = existing.roleExists;
      let merged: MergedDocument;
      try {
        merged = mergeStatements(existing.text, d.statements);
      } catch (e) {
        if (e instanceof UnmergeableDocumentError) throw new GrantError(`the ${d.label}: ${e.message}`);
        throw e;
      }
      const check = checkDocument(
        merged.text,
        d.kind,
        d.statements.map((s) => String(s.Sid)),
      );
      outcomes.push({
        planned: d,
        ...(existing.text !== undefined && { existing: existing.text }),
        ...(existing.roleExists !== undefined && { roleExists: existing.roleExists }),
        merged,
        check,
      });
    }
    let applied = 0;
    const invalid = outcomes.filter((o) => !o.check.valid);
    if (a.apply && invalid.length === 0) {
      // Owner first (the role and the repository policy), then the consumer, as plan order has them.
      for (const o of outcomes) {
        if (o.merged.change === 'none') continue;
        const c = clients.get(o.planned.side) as SideClients;
        try {
          await write(o, c);
        } catch (e) {
          throw new GrantError(`cannot write the ${o.planned.label}: ${why(e)}`);
        }
        applied++;
      }
    }
    return { outcomes, notes: plan.notes, applied };
  } finally {
    for (const c of clients.values()) {
      c.ecr.destroy();
      c.iam.destroy();
    }
  }
}

/** `crossdock grant ...`; returns the exit code. */
export async function grantCommand(args: string[], deps: GrantDeps = defaultGrantDeps): Promise<number> {
  let parsed: GrantArgs | 'help';
  try {
    parsed = parseGrantArgs(args);
  } catch (e) {
    if (!(e instanceof GrantUsageError)) throw e;
    deps.printError(`crossdock grant: ${e.message}\n${GRANT_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    deps.print(GRANT_USAGE);
    return 0;
  }
  let result: Awaited<ReturnType<typeof runGrant>>;
  try {
    result = await runGrant(parsed, deps);
  } catch (e) {
    if (e instanceof GrantError) {
      deps.printError(`crossdock grant: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const invalid = result.outcomes.some((o) => !o.check.valid);
  if (parsed.json) deps.print(JSON.stringify(toJson(parsed, result), null, 2));
  else deps.print(render(parsed, result));
  return invalid ? 1 : 0;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

function render(a: GrantArgs, r: Awaited<ReturnType<typeof runGrant>>): string {
  const out: string[] = [];
  const pending = r.outcomes.filter((o) => o.merged.change !== 'none').length;
  for (const o of r.outcomes) {
    const m = o.merged;
    const head =
      m.change === 'none'
        ? 'unchanged'
        : m.change === 'create'
          ? o.planned.kind === 'trust' && o.roleExists === false
            ? 'create the role with this trust policy'
            : 'create'
          : `update (${[...m.added.map((s) => `+${s}`), ...m.replaced.map((s) => `~${s}`)].join(' ')})`;
    out.push(`${o.planned.label}: ${head}`);
    const sids = new Set([...m.added, ...m.replaced]);
    for (const s of o.planned.statements) {
      const sid = String(s.Sid);
      if (!sids.has(sid)) continue;
      if (m.replaced.includes(sid)) out.push(indent(JSON.stringify(m.before[sid], null, 2), '  - '));
      out.push(indent(JSON.stringify(s, null, 2), '  + '));
    }
    if (!o.check.valid && o.check.error !== undefined)
      out.push(
        `  refused: ${o.check.error.code}: ${o.check.error.message}${o.check.error.detail !== undefined ? ` (${o.check.error.detail})` : ''}`,
      );
    for (const f of o.check.findings) out.push(`  ${f.severity} ${f.id}: ${f.message}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.outcomes.some((o) => !o.check.valid)) out.push('nothing applied: a document would be refused');
  else if (pending === 0) out.push('no change: everything is already granted');
  else if (a.apply) out.push(`applied ${r.applied} change${r.applied === 1 ? '' : 's'}`);
  else
    out.push(`dry run: ${pending} document${pending === 1 ? '' : 's'} to change; pass --apply to write them`);
  return out.join('\n');
}

function toJson(a: GrantArgs, r: Awaited<ReturnType<typeof runGrant>>): unknown {
  return {
    repository: a.spec.repository.arn,
    to: a.spec.to?.arn,
    access: a.spec.access,
    apply: a.apply,
    applied: r.applied,
    documents: r.outcomes.map((o) => ({
      id: o.planned.id,
      label: o.planned.label,
      side: o.planned.side,
      account: o.planned.account,
      kind: o.planned.kind,
      place: o.planned.place,
      change: o.merged.change,
      added: o.merged.added,
      replaced: o.merged.replaced,
      before: o.existing,
      after: o.merged.text,
      valid: o.check.valid,
      error: o.check.error,
      findings: o.check.findings,
    })),
    notes: r.notes,
  };
}
