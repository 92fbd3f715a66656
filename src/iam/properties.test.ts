// Properties of the engine over generated cases (test/iam/generate.ts): an explicit Deny always
// wins, adding an Allow never takes access away, parse ∘ print round-trips, evaluation is
// deterministic, and the PolicyCache compiles a text once. Runs are reproducible: fast-check uses
// a fixed seed (override with FC_SEED=<n>), and a counterexample names the generator seed of its
// case, so `generateCase(seed)` rebuilds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicy, evaluate, parsePolicy, PolicyCache, printPolicy, type Decision } from './index.js';
import { caseDocuments, crossdockRequest } from '../../test/iam/crossdock.js';
import {
  generateCase,
  generateStatement,
  type GeneratedCase,
  type PolicyJson,
  type StatementJson,
} from '../../test/iam/generate.js';

const PARAMS = { seed: Number(process.env.FC_SEED ?? 20240601), numRuns: 400 };

const seeds = fc.integer({ min: 0, max: 0xffffffff });
const cases = seeds.map(generateCase);

function decide(c: GeneratedCase, cache = new PolicyCache()): Decision {
  return evaluate(crossdockRequest(c, cache)).decision;
}

/** Inserts a statement at a position chosen by `where` (a copy; the document is untouched). */
function withStatement(doc: PolicyJson, s: StatementJson, where: number): PolicyJson {
  const statements = [...doc.Statement];
  statements.splice(where % (statements.length + 1), 0, s);
  return { ...doc, Statement: statements };
}

/** The places a statement can be added to a case: each existing document, or a new identity policy. */
type Target =
  'new-identity' | `identity:${number}` | 'resource' | 'boundary' | 'session' | `scp:${number}:${number}`;

function targets(c: GeneratedCase): Target[] {
  const p = c.policies;
  const out: Target[] = [];
  if (c.principal.type === 'User' || c.principal.type === 'AssumedRole') {
    out.push('new-identity');
    p.identity.forEach((_, i) => out.push(`identity:${i}`));
  }
  if (p.resource) out.push('resource');
  if (p.boundary) out.push('boundary');
  if (p.session) out.push('session');
  (p.scp ?? []).forEach((level, l) => level.forEach((_, i) => out.push(`scp:${l}:${i}`)));
  return out;
}

/** The case with `s` added at `target` (a repository policy gets `r` instead, which has a Principal). */
function addAt(
  c: GeneratedCase,
  target: Target,
  s: StatementJson,
  r: StatementJson,
  where: number,
): GeneratedCase {
  const p = c.policies;
  if (target === 'new-identity') {
    return { ...c, policies: { ...p, identity: [...p.identity, { Version: '2012-10-17', Statement: [s] }] } };
  }
  if (target === 'resource')
    return { ...c, policies: { ...p, resource: withStatement(p.resource!, r, where) } };
  if (target === 'boundary')
    return { ...c, policies: { ...p, boundary: withStatement(p.boundary!, s, where) } };
  if (target === 'session') return { ...c, policies: { ...p, session: withStatement(p.session!, s, where) } };
  const parts = target.split(':');
  if (parts[0] === 'identity') {
    const i = Number(parts[1]);
    return {
      ...c,
      policies: { ...p, identity: p.identity.map((d, j) => (j === i ? withStatement(d, s, where) : d)) },
    };
  }
  const [l, i] = [Number(parts[1]), Number(parts[2])];
  const scp = p.scp!.map((level, m) =>
    level.map((d, j) => (m === l && j === i ? withStatement(d, s, where) : d)),
  );
  return { ...c, policies: { ...p, scp } };
}

const DENY_ALL: StatementJson = { Effect: 'Deny', Action: '*', Resource: '*' };

test('an explicit Deny of everything added to any identity policy always yields ExplicitDeny', () => {
  const callers = cases.filter((c) => c.principal.type === 'User' || c.principal.type === 'AssumedRole');
  fc.assert(
    fc.property(callers, fc.nat(), (c, where) => {
      const ts = targets(c).filter((t) => t === 'new-identity' || t.startsWith('identity:'));
      const denied = addAt(c, ts[where % ts.length]!, DENY_ALL, DENY_ALL, where);
      assert.equal(decide(denied), 'ExplicitDeny', `seed ${c.seed}`);
    }),
    PARAMS,
  );
});

test('an explicit Deny of everything in any policy that applies to the request always wins', () => {
  const denyEveryone: StatementJson = { Effect: 'Deny', Principal: '*', Action: '*' };
  fc.assert(
    fc.property(cases, fc.nat(), (c, where) => {
      const ts = targets(c);
      fc.pre(ts.length > 0);
      const denied = addAt(c, ts[where % ts.length]!, DENY_ALL, denyEveryone, where);
      assert.equal(decide(denied), 'ExplicitDeny', `seed ${c.seed}`);
    }),
    PARAMS,
  );
});

test('adding an Allow statement never turns an Allow into a denial', () => {
  const allowed = cases.filter((c) => decide(c) === 'Allow');
  fc.assert(
    fc.property(allowed, seeds, fc.nat(), (c, statementSeed, where) => {
      const ts = targets(c);
      fc.pre(ts.length > 0);
      const s = generateStatement(statementSeed, c, { effect: 'Allow' });
      const r = generateStatement(statementSeed, c, { effect: 'Allow', forRepository: true });
      const more = addAt(c, ts[where % ts.length]!, s, r, where);
      assert.equal(decide(more), 'Allow', `seed ${c.seed}, statement seed ${statementSeed}`);
    }),
    { ...PARAMS, numRuns: 300 },
  );
});

test('parse ∘ print round-trips every generated document, compact or indented', () => {
  fc.assert(
    fc.property(cases, (c) => {
      for (const { doc, kind } of caseDocuments(c)) {
        const parsed = parsePolicy(JSON.stringify(doc), { kind });
        assert.deepEqual(parsePolicy(printPolicy(parsed), { kind }), parsed);
        assert.deepEqual(parsePolicy(printPolicy(parsed, 2), { kind }), parsed);
        assert.equal(printPolicy(parsePolicy(printPolicy(parsed), { kind })), printPolicy(parsed));
      }
    }),
    PARAMS,
  );
});

test('evaluation is deterministic: the same request twice gives the same result', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const cache = new PolicyCache();
      const req = crossdockRequest(c, cache);
      assert.deepEqual(evaluate(req), evaluate(req));
      assert.deepEqual(evaluate(req, { explain: true }), evaluate(req, { explain: true }));
      // A fresh cache (policies compiled again) decides the same way for the same reasons.
      const again = evaluate(crossdockRequest(c, new PolicyCache()));
      assert.deepEqual(again, evaluate(req));
    }),
    PARAMS,
  );
});

test('the PolicyCache returns the same compiled object for the same text', () => {
  fc.assert(
    fc.property(cases, (c) => {
      const cache = new PolicyCache();
      for (const { doc, kind } of caseDocuments(c)) {
        const text = JSON.stringify(doc);
        const first = cache.get(text, kind);
        // An equal string built separately (not the same instance) finds the same entry.
        const copy = JSON.stringify(JSON.parse(text) as unknown);
        assert.equal(cache.get(copy, kind), first);
        assert.equal(cache.get(text, kind), first);
        assert.equal(first.hash, compilePolicy(text, kind).hash);
        assert.notEqual(compilePolicy(text, kind), first, 'compilePolicy itself does not cache');
      }
      assert.equal(
        cache.size,
        new Set(caseDocuments(c).map(({ doc, kind }) => `${kind}\n${JSON.stringify(doc)}`)).size,
      );
    }),
    PARAMS,
  );
});
