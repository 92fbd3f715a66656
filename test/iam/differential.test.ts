// Differential test: crossdock's policy engine against @cloud-copilot/iam-simulate on 10,000 cases
// generated from a fixed seed. Every disagreement must be a known difference (differences.ts,
// written up in docs/iam-differences.md); any other fails the test with a minimised repro.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, PolicyCache, type Decision } from '../../src/iam/index.js';
import { crossdockRequest } from './crossdock.js';
import { peerDecision } from './peer.js';
import { isKnownDifference, KNOWN_DIFFERENCES, type Disagreement } from './differences.js';
import { generateCase, generateCases, type GeneratedCase } from './generate.js';
import { minimizeCase } from './minimize.js';

/** The corpus: change the seed or the count only together with a look at the summary line. */
export const DIFFERENTIAL_SEED = 20240601;
export const DIFFERENTIAL_CASES = 10_000;

/** How many new disagreements to minimise and print before failing (minimising is slow-ish). */
const REPORT_AT_MOST = 3;

interface Tally {
  cases: number;
  agreements: number;
  byDecision: Record<Decision, number>;
  known: Map<string, number>;
  fresh: Disagreement[];
  peerErrors: { c: GeneratedCase; error: string }[];
}

async function run(cases: readonly GeneratedCase[]): Promise<Tally> {
  const cache = new PolicyCache();
  const t: Tally = {
    cases: cases.length,
    agreements: 0,
    byDecision: { Allow: 0, ExplicitDeny: 0, ImplicitDeny: 0 },
    known: new Map(),
    fresh: [],
    peerErrors: [],
  };
  for (const c of cases) {
    const ours = evaluate(crossdockRequest(c, cache));
    const peer = await peerDecision(c);
    if ('error' in peer) {
      t.peerErrors.push({ c, error: peer.error });
      continue;
    }
    t.byDecision[ours.decision]++;
    if (ours.decision === peer.decision) {
      t.agreements++;
      continue;
    }
    const d: Disagreement = { c, ours, peer: peer.decision };
    const known = await isKnownDifference(d, cache);
    if (known.length === 0) {
      t.fresh.push(d);
      continue;
    }
    const name = known.map((k) => k.name).join(' + ');
    t.known.set(name, (t.known.get(name) ?? 0) + 1);
  }
  return t;
}

/** A new disagreement, shrunk to the statements that cause it, ready to paste into a report. */
async function describe(d: Disagreement): Promise<string> {
  const cache = new PolicyCache();
  const small = await minimizeCase(d.c, async (c) => {
    const peer = await peerDecision(c);
    if ('error' in peer) return false;
    const ours = evaluate(crossdockRequest(c, cache));
    if (ours.decision !== d.ours.decision || peer.decision !== d.peer) return false;
    return (await isKnownDifference({ c, ours, peer: peer.decision }, cache)).length === 0;
  });
  return `crossdock ${d.ours.decision}, iam-simulate ${d.peer} (seed ${d.c.seed}), minimised:\n${JSON.stringify(small, null, 1)}`;
}

test('the generator is deterministic: a seed always yields the same case', () => {
  assert.deepEqual(generateCase(42), generateCase(42));
  assert.deepEqual(generateCases(7, 20), generateCases(7, 20));
  assert.notDeepEqual(generateCase(1), generateCase(2));
});

test('the generated corpus covers every caller, both account layouts and all three decisions', () => {
  const cache = new PolicyCache();
  const cases = generateCases(DIFFERENTIAL_SEED, 2_000);
  const count = (f: (c: GeneratedCase) => boolean) => cases.filter(f).length / cases.length;
  for (const type of ['User', 'AssumedRole', 'Account', 'Service', 'Anonymous'] as const) {
    assert.ok(count((c) => c.principal.type === type) > 0.05, `callers of type ${type}`);
  }
  assert.ok(
    count((c) => c.principal.account !== undefined && c.principal.account !== c.resourceAccount) > 0.2,
  );
  assert.ok(count((c) => c.principal.account === c.resourceAccount) > 0.2);
  assert.ok(count((c) => c.resource === '*') > 0.01, 'requests on resource *');
  for (const key of ['resource', 'boundary', 'session', 'scp'] as const) {
    assert.ok(count((c) => c.policies[key] !== undefined) > 0.05, `cases with a ${key} policy`);
  }
  const decisions = cases.map((c) => evaluate(crossdockRequest(c, cache)).decision);
  for (const d of ['Allow', 'ExplicitDeny', 'ImplicitDeny'] as const) {
    assert.ok(decisions.filter((x) => x === d).length / cases.length > 0.15, `decision ${d} is common`);
  }
});

test(`crossdock and iam-simulate agree on ${DIFFERENTIAL_CASES} generated cases, except documented differences`, async () => {
  const started = process.hrtime.bigint();
  const t = await run(generateCases(DIFFERENTIAL_SEED, DIFFERENTIAL_CASES));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const known = [...t.known.values()].reduce((a, b) => a + b, 0);
  const categories = [...t.known.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name}: ${n}`)
    .join(', ');
  console.log(
    `iam differential: ${t.cases} cases (seed ${DIFFERENTIAL_SEED}), ${t.agreements} agreements, ` +
      `${known} known differences [${categories}], ${t.fresh.length} new, ${t.peerErrors.length} peer errors; ` +
      `crossdock decided Allow ${t.byDecision.Allow} / ExplicitDeny ${t.byDecision.ExplicitDeny} / ` +
      `ImplicitDeny ${t.byDecision.ImplicitDeny}; ${seconds.toFixed(1)} s`,
  );
  const unused = KNOWN_DIFFERENCES.filter(
    (k) => ![...t.known.keys()].some((n) => n.split(' + ').includes(k.name)),
  );
  for (const k of unused) {
    console.log(
      `known difference \`${k.name}\` matched no case${k.kind === 'bug' ? ': if the bug is fixed, delete it' : ''}`,
    );
  }

  assert.equal(
    t.peerErrors.length,
    0,
    `iam-simulate refused ${t.peerErrors.length} generated inputs, first: ${t.peerErrors[0]?.error} for ${JSON.stringify(t.peerErrors[0]?.c)}`,
  );
  if (t.fresh.length > 0) {
    const reports = [];
    for (const d of t.fresh.slice(0, REPORT_AT_MOST)) reports.push(await describe(d));
    assert.fail(
      `${t.fresh.length} new disagreement(s) between crossdock and iam-simulate. Decide for each: a crossdock ` +
        `bug (report it) or an intended difference (docs/iam-differences.md + test/iam/differences.ts).\n\n` +
        reports.join('\n\n'),
    );
  }
  assert.equal(t.agreements + known, t.cases);
});
