/**
 * `npm run bench -- iam`: the same fixed set of generated cases (test/iam/generate.ts) decided by
 * crossdock and by @cloud-copilot/iam-simulate in one run.
 *
 * crossdock runs as the server will: the engine as the TypeScript compiler emits it (see
 * compiled.ts), every policy text compiled once through a PolicyCache, then only `evaluate` timed.
 * iam-simulate runs through `runSimulation`, the entry point the differential test uses; it
 * validates and loads the policies on every call and has no compiled form to reuse (its
 * `runUnsafeSimulation` skips validation but ignores session policies and, in 0.1.173, throws on
 * any resource policy, so it cannot decide these cases).
 *
 * Throughput ("mixed traffic"): whole passes over all prepared requests in order, so consecutive
 * decisions touch different policies, as a server's mixed traffic does; decisions/s = decisions /
 * elapsed. The peer is timed the same way.
 *
 * Latency per decision: one `evaluate` costs around a microsecond, close to the cost and the
 * resolution of reading the clock, so single calls are not timed. Each sample evaluates one
 * prepared request REPEAT times between two `process.hrtime.bigint()` reads and divides by REPEAT;
 * every case is sampled ROUNDS times, in a new shuffled order each round. p50/p99 are over all
 * samples: they show how the cost of one decision varies across cases (a few statements vs many,
 * with conditions and variables), on a warm path (the same request repeated keeps caches and the
 * per-action statement memo hot). A garbage collection landing in a sample counts against it.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { AuthzRequest, Decision } from '../src/iam/index.js';
import { managedPolicy } from '../src/iam/data/managedPolicies.js';
import { crossdockRequest } from '../test/iam/crossdock.js';
import { generateCases, Rng, type GeneratedCase, type PolicyJson } from '../test/iam/generate.js';
import { peerSimulation } from '../test/iam/peer.js';
import { compiledEngine, type Engine } from './compiled.js';

const SEED = 20240601;
const CASES = 2_000;
const REPEAT = 32;
const ROUNDS = 15;

/**
 * A typical cross-account pull: a CI role session of account B pulls from account A's repository,
 * whose policy grants account B over TLS; the role has the ECR read-only managed policy, a
 * tag-scoped inline policy and a guard-rail Deny.
 */
function typicalPull(): GeneratedCase {
  const A = '111111111111';
  const B = '222222222222';
  const readOnly = JSON.parse(managedPolicy('AmazonEC2ContainerRegistryReadOnly')!.document) as PolicyJson;
  const pull = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
  return {
    seed: 0,
    principal: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${B}:assumed-role/deployer/ci-run`,
      account: B,
      principalArn: `arn:aws:iam::${B}:role/ci/deployer`,
      uniqueId: 'AROA2222DEPLOYERXXXXX',
      userId: 'AROA2222DEPLOYERXXXXX:ci-run',
      tags: { Team: 'red' },
    },
    action: 'ecr:BatchGetImage',
    resource: `arn:aws:ecr:us-east-1:${A}:repository/team/web`,
    resourceAccount: A,
    resourceTags: { Team: 'red' },
    context: {
      'aws:CurrentTime': '2024-06-01T12:00:00Z',
      'aws:EpochTime': '1717243200',
      'aws:SecureTransport': 'true',
    },
    policies: {
      identity: [
        readOnly,
        {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TeamRepos',
              Effect: 'Allow',
              Action: pull,
              Resource: `arn:aws:ecr:*:${A}:repository/team/*`,
              Condition: { StringEquals: { 'aws:ResourceTag/Team': '${aws:PrincipalTag/Team}' } },
            },
          ],
        },
        {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'NoDeletes',
              Effect: 'Deny',
              Action: ['ecr:Delete*', 'ecr:BatchDeleteImage'],
              Resource: '*',
            },
          ],
        },
      ],
      resource: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'PullFromB',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: pull,
            Condition: { Bool: { 'aws:SecureTransport': 'true' } },
          },
        ],
      },
    },
  };
}

/** Keeps results alive so that the optimiser cannot drop a call. */
let sink = 0;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Latency {
  p50: number;
  p99: number;
  mean: number;
}

/** Per-decision latency in µs, by the method in the header comment. */
function latency(engine: Engine, requests: readonly AuthzRequest[]): Latency {
  const samples = new Float64Array(requests.length * ROUNDS);
  const order = requests.map((_, i) => i);
  const rng = new Rng(SEED);
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const req = requests[i]!;
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < REPEAT; k++) sink += engine.evaluate(req).decision.length;
      samples[n++] = Number(process.hrtime.bigint() - t0) / 1e3 / REPEAT;
    }
  }
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: sum / samples.length };
}

/** crossdock decisions/s over mixed traffic: whole passes over the prepared requests for at least `ms`. */
function throughput(engine: Engine, requests: readonly AuthzRequest[], ms: number): number {
  let decisions = 0;
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(ms) * 1_000_000n;
  let now = t0;
  while (now < until) {
    for (const req of requests) sink += engine.evaluate(req).decision.length;
    decisions += requests.length;
    now = process.hrtime.bigint();
  }
  return decisions / (Number(now - t0) / 1e9);
}

function peerDecision(r: Awaited<ReturnType<typeof runSimulation>>): Decision | 'error' {
  if (r.resultType === 'error') return 'error';
  if (r.overallResult === 'Allowed') return 'Allow';
  return r.overallResult === 'ExplicitlyDenied' ? 'ExplicitDeny' : 'ImplicitDeny';
}

/** iam-simulate decisions/s over the same cases, one pass. */
async function peerThroughput(
  sims: readonly Simulation[],
): Promise<{ perSecond: number; decisions: (Decision | 'error')[] }> {
  const decisions: (Decision | 'error')[] = [];
  const t0 = process.hrtime.bigint();
  for (const sim of sims) decisions.push(peerDecision(await runSimulation(sim, {})));
  return { perSecond: sims.length / (Number(process.hrtime.bigint() - t0) / 1e9), decisions };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs the benchmark, prints the figures, and ends with the JSON line. */
export async function benchIam(): Promise<void> {
  const engine = await compiledEngine();
  const cases = generateCases(SEED, CASES);
  const cache = new engine.PolicyCache();
  const compileStart = process.hrtime.bigint();
  const requests = cases.map((c) => crossdockRequest(c, cache));
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const repoPlus3 = cases.filter(
    (c) => c.policies.resource !== undefined && c.policies.identity.length === 3,
  );
  const repoPlus3Requests = repoPlus3.map((c) => crossdockRequest(c, cache));
  const typical = [crossdockRequest(typicalPull(), cache)];
  const sims = cases.map(peerSimulation);

  console.log(
    `iam bench: ${CASES} generated cases (seed ${SEED}); crossdock compiled ${cache.size} distinct policies once, ` +
      `in ${fmt(compileMs, 1)} ms (cold)`,
  );

  // Warm up both engines (JIT, iam-simulate's data files) before anything is timed.
  throughput(engine, requests, 500);
  await peerThroughput(sims.slice(0, 200));

  const ours = throughput(engine, requests, 3_000);
  const all = latency(engine, requests);
  const repo = latency(engine, repoPlus3Requests);
  const pull = latency(engine, typical);
  const peer = await peerThroughput(sims);
  const ratio = ours / peer.perSecond;
  const agreements = requests.filter((req, i) => engine.evaluate(req).decision === peer.decisions[i]).length;

  const line = (label: string, value: string, note: string) =>
    console.log(`${label.padEnd(44)}${value.padStart(14)}  ${note}`);
  line(
    'crossdock, mixed traffic',
    `${fmt(ours)}/s`,
    'decisions/s, all cases in turn (policies compiled once, PolicyCache)',
  );
  line(
    'crossdock, warm path',
    `${fmt(1e6 / all.mean)}/s`,
    '1 / mean latency of the repeated-request samples',
  );
  line('iam-simulate', `${fmt(peer.perSecond)}/s`, 'decisions/s, runSimulation over the same cases');
  line('ratio (mixed traffic)', `${fmt(ratio, 1)}x`, 'target >= 100x');
  line(
    'latency, all cases',
    `p50 ${fmt(all.p50, 3)} µs`,
    `p99 ${fmt(all.p99, 3)} µs (${ROUNDS} samples/case of ${REPEAT} calls)`,
  );
  line(
    `latency, repository + 3 identity (${repoPlus3.length} cases)`,
    `p50 ${fmt(repo.p50, 3)} µs`,
    `p99 ${fmt(repo.p99, 3)} µs (target p50 <= 2 µs)`,
  );
  line(
    'latency, typical cross-account pull',
    `p50 ${fmt(pull.p50, 3)} µs`,
    `p99 ${fmt(pull.p99, 3)} µs (repository + 3 identity)`,
  );
  console.log(
    `same decision on ${agreements}/${CASES} cases; the rest are the documented differences (docs/iam-differences.md)`,
  );
  if (sink === -1) console.log(sink);

  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  console.log(
    JSON.stringify({
      bench: 'iam',
      crossdock_per_s: Math.round(ours),
      peer_per_s: Math.round(peer.perSecond),
      ratio: round(ratio, 1),
      p50_us: round(all.p50, 3),
      p99_us: round(all.p99, 3),
    }),
  );
}
