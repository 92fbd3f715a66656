/**
 * `crossdock lint <policy.json>`: AWS's verdict on a policy document (the error code and message
 * the owning service would answer, pointing at the statement) and the findings that matter when
 * sharing ECR images across accounts. The analysis lives in `analysis/findings.ts`; this file reads
 * the file, parses flags and prints.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LINT_TYPES, lintPolicy, show, type LintResult, type LintType } from './analysis/findings.js';

/** The `--help` text; exported so the usage tests and main's help agree with it. */
export const LINT_USAGE = `usage: crossdock lint <policy.json> [--type repository|identity|trust|registry] [--json]

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

--type is guessed when absent: no Principal → identity; a Principal and only sts: actions → trust;
a Principal, Resource and a registry-level action → registry; otherwise repository.
"-" reads the document from standard input.

exit status: 0 clean, 1 findings, 2 invalid document or usage error`;

/** `crossdock lint ...`; returns the exit code. */
export async function lintCommand(args: string[]): Promise<number> {
  let values: { type?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        type: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
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
  const result = lintPolicy(text, type as LintType | undefined);
  if (values.json === true) console.log(JSON.stringify({ file, ...result }, null, 2));
  else console.log(render(file, result));
  if (!result.valid) return 2;
  return result.findings.length > 0 ? 1 : 0;
}

/** The human-readable report: AWS's verdict first, then one block per finding. */
function render(file: string, r: LintResult): string {
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
