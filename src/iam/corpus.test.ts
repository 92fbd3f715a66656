// Replays every scenario file in test/fixtures/iam/*.json: each case names the policies that take
// part, the caller and the request, and expects the decision, the policy type AWS names in a denial,
// and exactly the statements that decided (policyId:Sid, or policyId:#index without a Sid).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, evaluate, type PolicyKind, type PolicyRef, type RequestPrincipal } from './index.js';
import { managedPolicy } from './data/managedPolicies.js';

interface CorpusPolicy {
  kind: PolicyKind;
  document?: unknown;
  managed?: string;
}
interface CorpusCase {
  name: string;
  principal: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  resourceTags?: Record<string, string>;
  context?: Record<string, string | string[]>;
  identity?: string[];
  resourcePolicies?: string[];
  boundary?: string;
  session?: string[];
  scp?: string[][];
  rcp?: string[][];
  resourcePolicyRequired?: boolean;
  expect: { decision: string; deniedBy?: string; matched?: string[]; message?: string };
}
interface Corpus {
  description: string;
  policies: Record<string, CorpusPolicy>;
  principals: Record<string, RequestPrincipal>;
  cases: CorpusCase[];
}

const dir = join(import.meta.dirname, '../../test/fixtures/iam');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('the scenario corpus is not empty', () => {
  assert.ok(files.length >= 3);
});

for (const file of files) {
  const corpus = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Corpus;
  describe(`${file}: ${corpus.description}`, () => {
    const compiled = new Map<string, PolicyRef>();
    const ref = (id: string): PolicyRef => {
      let r = compiled.get(id);
      if (r === undefined) {
        const p = corpus.policies[id];
        assert.ok(p, `policy ${id} is defined`);
        const text =
          p.managed !== undefined ? managedPolicy(p.managed)?.document : JSON.stringify(p.document);
        assert.ok(text, `managed policy ${p.managed} exists`);
        r = { id, policy: compilePolicy(text, p.kind) };
        compiled.set(id, r);
      }
      return r;
    };
    for (const c of corpus.cases) {
      test(c.name, () => {
        const principal = corpus.principals[c.principal];
        assert.ok(principal, `principal ${c.principal} is defined`);
        const r = evaluate({
          principal,
          action: c.action,
          resource: c.resource,
          ...(c.resourceAccount !== undefined && { resourceAccount: c.resourceAccount }),
          ...(c.resourceTags !== undefined && { resourceTags: c.resourceTags }),
          ...(c.context !== undefined && { context: c.context }),
          ...(c.resourcePolicyRequired !== undefined && { resourcePolicyRequired: c.resourcePolicyRequired }),
          policies: {
            ...(c.identity && { identity: c.identity.map(ref) }),
            ...(c.resourcePolicies && { resource: c.resourcePolicies.map(ref) }),
            ...(c.boundary !== undefined && { boundary: ref(c.boundary) }),
            ...(c.session && { session: c.session.map(ref) }),
            ...(c.scp && { scp: c.scp.map((l) => l.map(ref)) }),
            ...(c.rcp && { rcp: c.rcp.map((l) => l.map(ref)) }),
          },
        });
        assert.equal(r.decision, c.expect.decision, r.message);
        assert.equal(r.denial?.by, c.expect.deniedBy);
        if (c.expect.matched !== undefined) {
          const got = r.matched
            .map((m) => `${m.policyId}:${m.sid !== undefined ? m.sid : `#${m.index}`}`)
            .sort();
          assert.deepEqual(got, [...c.expect.matched].sort());
        }
        if (c.expect.message !== undefined) assert.equal(r.message, c.expect.message);
      });
    }
  });
}
