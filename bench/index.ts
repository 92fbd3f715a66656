// `npm run bench -- <name>`: runs one benchmark by name. Benchmarks are never part of `npm test`.
// Each one prints human-readable figures and ends with exactly one JSON line that CI can read.
import { benchIam } from './iam.js';
import { benchRegistry } from './registry.js';
import { benchReplication } from './replication.js';
import { benchSigv4 } from './sigv4.js';

interface Bench {
  readonly describe: string;
  run(args: readonly string[]): Promise<void>;
}

/** Every benchmark by name; later ones (`sigv4`, `registry`) plug in here. */
const BENCHES: Readonly<Record<string, Bench>> = {
  iam: {
    describe: 'policy engine decisions/s and latency, crossdock vs @cloud-copilot/iam-simulate',
    run: benchIam,
  },
  sigv4: {
    describe: 'SigV4-verified GetCallerIdentity requests/s over loopback (server in its own process)',
    run: benchSigv4,
  },
  registry: {
    describe: 'OCI registry push/pull/raw blobs/manifest GETs, crossdock vs CNCF distribution 2.8',
    run: benchRegistry,
  },
  replication: {
    describe: 'replication latency, push → visible cross-account and cross-region (in-process server)',
    run: benchReplication,
  },
};

function usage(): string {
  const names = Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(10)} ${b.describe}`);
  return ['usage: npm run bench -- <name>', '', 'benchmarks:', ...names].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const bench = name !== undefined && Object.hasOwn(BENCHES, name) ? BENCHES[name] : undefined;
if (bench === undefined) {
  if (name !== undefined) console.error(`unknown benchmark \`${name}\`\n`);
  console.error(usage());
  process.exit(2);
}
await bench.run(args);
