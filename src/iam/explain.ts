import type { AuthzRequest, AuthzResult, PolicyType } from './evaluate.js';
import { POLICY_TYPE_NAMES } from './evaluate.js';

const SIDE_ORDER: readonly PolicyType[] = ['scp', 'rcp', 'identity', 'resource', 'boundary', 'session'];

/**
 * A human-readable account of a decision: the verdict, AWS's sentence, what each policy type said
 * and which statements decided. The CLI's `explain` builds its fix suggestions on top of this.
 */
export function explainText(
  req: Pick<AuthzRequest, 'principal' | 'action' | 'resource'>,
  r: AuthzResult,
): string {
  const lines: string[] = [];
  lines.push(`${r.decision}: ${req.principal.arn} → ${req.action} on ${req.resource}`);
  if (r.message !== undefined) lines.push(r.message);
  lines.push(
    r.crossAccount ? 'cross-account: identity AND resource policies must both allow' : 'same account',
  );
  for (const t of SIDE_ORDER) {
    const v = r.sides[t];
    if (v === 'n/a') continue;
    lines.push(`  ${POLICY_TYPE_NAMES[t]}: ${v === 'none' ? 'no matching statement' : v}`);
  }
  if (r.resourceGrant !== undefined) lines.push(`  resource policy names the caller as: ${r.resourceGrant}`);
  for (const m of r.matched) {
    lines.push(
      `  ${m.effect} by ${m.policyId} statement ${m.sid !== undefined ? `"${m.sid}"` : `#${m.index}`}`,
    );
  }
  for (const n of r.nearMisses ?? []) {
    const why = n.failing.map((c) => `${c.operator} ${c.key} ${JSON.stringify(c.values)}`).join(', ');
    lines.push(`  (${n.effect} in ${n.policyId} statement ${n.sid ?? `#${n.index}`} did not apply: ${why})`);
  }
  return lines.join('\n');
}
