/**
 * Shrinks a generated case while a predicate keeps holding (typically "the two engines still
 * disagree"), so that a disagreement is reported as the few statements that cause it rather than
 * the whole random case. Greedy: it tries every one-step simplification (drop a policy, a
 * statement, a condition clause, an array value, a tag, an optional context key) and keeps the
 * first that preserves the predicate, until none does.
 */
import type { GeneratedCase, PolicyJson, StatementJson } from './generate.js';

/** Keys every request carries, which a minimal case keeps. */
const ALWAYS_PRESENT = new Set(['aws:CurrentTime', 'aws:EpochTime', 'aws:SecureTransport']);

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Every simplification of one policy document (each returns a new document). */
function policySteps(doc: PolicyJson): PolicyJson[] {
  const out: PolicyJson[] = [];
  const st = doc.Statement;
  if (st.length > 1) {
    for (let i = 0; i < st.length; i++) out.push({ ...doc, Statement: st.filter((_, j) => j !== i) });
  }
  st.forEach((s, i) => {
    for (const t of statementSteps(s)) {
      const next = clone(doc);
      next.Statement[i] = t;
      out.push(next);
    }
  });
  if (doc.Version !== '2012-10-17') out.push({ ...doc, Version: '2012-10-17' });
  return out;
}

function statementSteps(s: StatementJson): StatementJson[] {
  const out: StatementJson[] = [];
  if (s.Sid !== undefined) {
    const { Sid: _sid, ...rest } = s;
    out.push(rest);
  }
  for (const field of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    const v = s[field];
    if (Array.isArray(v)) for (const one of v) out.push({ ...s, [field]: one });
  }
  if (s.Principal !== undefined && s.Principal !== '*') {
    const keys = Object.keys(s.Principal);
    for (const k of keys) {
      const v = s.Principal[k]!;
      if (keys.length > 1) {
        const p = { ...s.Principal };
        delete p[k];
        out.push({ ...s, Principal: p });
      }
      if (Array.isArray(v)) for (const one of v) out.push({ ...s, Principal: { ...s.Principal, [k]: one } });
    }
  }
  if (s.Condition !== undefined) {
    const { Condition: cond, ...rest } = s;
    out.push(rest);
    for (const [op, body] of Object.entries(cond)) {
      for (const [key, values] of Object.entries(body)) {
        const next = clone(cond);
        delete next[op]![key];
        if (Object.keys(next[op]!).length === 0) delete next[op];
        if (Object.keys(next).length > 0) out.push({ ...rest, Condition: next });
        if (Array.isArray(values)) {
          for (const one of values) {
            const single = clone(cond);
            single[op]![key] = one;
            out.push({ ...rest, Condition: single });
          }
        }
      }
    }
  }
  return out;
}

/** Every one-step simplification of a case. */
function caseSteps(c: GeneratedCase): GeneratedCase[] {
  const out: GeneratedCase[] = [];
  const p = c.policies;
  const withPolicies = (policies: GeneratedCase['policies']): GeneratedCase => ({ ...c, policies });

  p.identity.forEach((doc, i) => {
    out.push(withPolicies({ ...p, identity: p.identity.filter((_, j) => j !== i) }));
    for (const d of policySteps(doc)) {
      const identity = [...p.identity];
      identity[i] = d;
      out.push(withPolicies({ ...p, identity }));
    }
  });
  for (const key of ['resource', 'boundary', 'session'] as const) {
    const doc = p[key];
    if (doc === undefined) continue;
    const { [key]: _drop, ...rest } = p;
    out.push(withPolicies(rest));
    for (const d of policySteps(doc)) out.push(withPolicies({ ...p, [key]: d }));
  }
  if (p.scp !== undefined) {
    const { scp, ...rest } = p;
    out.push(withPolicies(rest));
    scp.forEach((level, l) => {
      if (scp.length > 1) out.push(withPolicies({ ...p, scp: scp.filter((_, j) => j !== l) }));
      level.forEach((doc, i) => {
        if (level.length > 1) {
          const levels = clone(scp);
          levels[l] = level.filter((_, j) => j !== i);
          out.push(withPolicies({ ...p, scp: levels }));
        }
        for (const d of policySteps(doc)) {
          const levels = clone(scp);
          levels[l]![i] = d;
          out.push(withPolicies({ ...p, scp: levels }));
        }
      });
    });
  }
  if (c.resourceTags !== undefined) {
    const { resourceTags, ...rest } = c;
    out.push(rest);
    const keys = Object.keys(resourceTags);
    if (keys.length > 1) {
      for (const k of keys) {
        const tags = { ...resourceTags };
        delete tags[k];
        out.push({ ...c, resourceTags: tags });
      }
    }
  }
  if (c.principal.tags !== undefined) {
    const { tags, ...principal } = c.principal;
    out.push({ ...c, principal });
    const keys = Object.keys(tags);
    if (keys.length > 1) {
      for (const k of keys) {
        const t = { ...tags };
        delete t[k];
        out.push({ ...c, principal: { ...c.principal, tags: t } });
      }
    }
  }
  for (const k of Object.keys(c.context)) {
    if (ALWAYS_PRESENT.has(k)) continue;
    const context = { ...c.context };
    delete context[k];
    out.push({ ...c, context });
  }
  return out;
}

/** The smallest case reachable from `c` by one-step simplifications that keep `holds` true. */
export async function minimizeCase(
  c: GeneratedCase,
  holds: (c: GeneratedCase) => boolean | Promise<boolean>,
): Promise<GeneratedCase> {
  let current = c;
  for (;;) {
    let progressed = false;
    for (const next of caseSteps(current)) {
      if (await holds(next)) {
        current = next;
        progressed = true;
        break;
      }
    }
    if (!progressed) return current;
  }
}
