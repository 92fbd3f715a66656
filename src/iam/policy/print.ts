import type { PolicyDocument, PrincipalBlock, Statement } from './types.js';

/**
 * Prints a parsed document back to JSON text that parses to the same document (the round trip
 * the property tests check). Single values are printed as strings, as AWS returns them.
 */
export function printPolicy(doc: PolicyDocument, space?: number): string {
  const out: Record<string, unknown> = {};
  if (doc.versionGiven) out.Version = doc.version;
  if (doc.id !== undefined) out.Id = doc.id;
  const statements = doc.statements.map(printStatement);
  out.Statement = doc.singleStatement && statements.length === 1 ? statements[0] : statements;
  return JSON.stringify(out, null, space);
}

function one(values: readonly string[]): string | readonly string[] {
  return values.length === 1 ? values[0]! : values;
}

function printPrincipal(p: PrincipalBlock): unknown {
  if (p.kind === 'wildcard') return '*';
  const out: Record<string, unknown> = {};
  for (const key of ['AWS', 'Service', 'Federated', 'CanonicalUser'] as const) {
    const v = p[key];
    if (v !== undefined) out[key] = one(v);
  }
  return out;
}

function printStatement(s: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.sid !== undefined) out.Sid = s.sid;
  out.Effect = s.effect;
  if (s.principal) out.Principal = printPrincipal(s.principal);
  if (s.notPrincipal) out.NotPrincipal = printPrincipal(s.notPrincipal);
  if (s.action) out.Action = one(s.action);
  if (s.notAction) out.NotAction = one(s.notAction);
  if (s.resource) out.Resource = one(s.resource);
  if (s.notResource) out.NotResource = one(s.notResource);
  if (s.condition) out.Condition = s.condition;
  return out;
}
