// Loaded before every test file (scripts/test.mjs): property tests run from a fixed seed so that CI
// is deterministic; set FC_SEED to explore other seeds locally.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261123) });

// In-process tests build SDK clients without going through src/cli/main.ts, which silences the
// SDK's Node.js support warning for the commands (src/cli/quietSdk.test.ts checks that, in child
// processes with an environment of their own); keep it out of the test output too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
