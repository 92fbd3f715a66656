// Loaded before every test file (scripts/test.mjs): property tests run from a fixed seed so that CI
// is deterministic; set FC_SEED to explore other seeds locally.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261123) });
