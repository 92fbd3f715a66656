// Runs README.md's "Cross-account in five minutes" as a user would paste it: the fenced ```sh block
// after the `<!-- walkthrough` comment is extracted and run in bash, so that a README that stops
// being true breaks this test. The only changes made to the text are these, all outside it or
// one well-defined substitution:
//   - the README's port, 7560, becomes a free port wherever it appears (the block starts its own
//     server with `--port 7560` and reaches it at `127.0.0.1:7560`);
//   - `npx` is a bash function for `npx crossdock ARGS` only (the README runs in a directory of the
//     clone, where npx finds the package's own bin): bin/crossdock.js (what npx runs) when
//     dist/ is newer than every source file, else src/cli/main.ts through tsx (about 2 s slower a
//     command), so that a stale dist/ is never what is tested;
//   - `aws` on PATH is the AWS CLI v2 (AWS_CLI, /usr/bin/aws), ahead of any other `aws`;
//   - the block runs in a fresh directory holding `./image`, an OCI layout tagged v1
//     (test/helpers/image.ts), with a home of its own (no AWS config, no registry auth files);
//   - `set -m` makes `npx crossdock serve ... &` a job of its own as in an interactive shell, so
//     the block's `kill %1` stops the server (and an EXIT trap stops it when the block fails).
// Each top-level line (with its `\` continuations) is one step; its exit code and output are
// recorded and checked: verify ✗ then ✓, explain's sentence, grant, access, lint, and the digest
// skopeo pulled.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AWS_CLI } from '../helpers/awscli.js';
import { makeOciLayout } from '../helpers/image.js';
import { seedClientsMissing } from '../helpers/seedShell.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = join(ROOT, 'README.md');
const MARKER = '<!-- walkthrough';
const README_PORT = '7560';
/** Where the run's transcript goes when set, as for the seed tests (docs/seed-transcripts.md). */
const TRANSCRIPT_DIR = process.env.CROSSDOCK_SEED_TRANSCRIPT;

const skip =
  seedClientsMissing ??
  ['/usr/bin/jq', '/usr/bin/curl']
    .filter((p) => !existsSync(p))
    .map((p) => `${p} is not installed (the walk-through uses it)`)[0];

/** One step of the block: its text, exit code and everything it printed (stdout and stderr). */
interface Step {
  readonly text: string;
  readonly code: number;
  readonly out: string;
  readonly seconds: number;
}

/** The ```sh block that follows the walk-through marker. */
function extractWalkthrough(readme: string): string {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no \`${MARKER}\` comment`);
  const m = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (m === null) throw new Error('no ```sh block after the walk-through marker');
  return m[1]!;
}

/** The block's steps: lines joined with their `\` continuations, blank and comment lines dropped. */
function splitSteps(block: string): string[] {
  const steps: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    current += line;
    if (/\\\s*$/.test(line)) {
      current += '\n';
      continue;
    }
    if (current.trim() !== '' && !current.trim().startsWith('#')) steps.push(current);
    current = '';
  }
  if (current.trim() !== '') steps.push(current);
  return steps;
}

/** Whether dist/ was built after the last change to any source file (tests aside). */
async function distIsFresh(): Promise<boolean> {
  const built = await stat(join(ROOT, 'dist/cli/main.js')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const newest = async (dir: string): Promise<number> => {
    let max = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) max = Math.max(max, await newest(p));
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
        max = Math.max(max, (await stat(p)).mtimeMs);
    }
    return max;
  };
  return built > 0 && (await newest(join(ROOT, 'src'))) < built;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

let steps: Step[] = [];
let manifestDigest: string;
let elapsed = 0;

/** The steps whose text contains `needle`, in order. */
function find(needle: string | RegExp): Step[] {
  return steps.filter((s) => (typeof needle === 'string' ? s.text.includes(needle) : needle.test(s.text)));
}
function one(needle: string | RegExp, nth = 0): Step {
  const s = find(needle)[nth];
  assert.ok(s !== undefined, `the walk-through has no step ${String(needle)} #${nth + 1}`);
  return s;
}
const transcript = () =>
  steps.map((s) => `$ ${s.text}\n${s.out}[exit ${s.code}, ${s.seconds.toFixed(1)} s]`).join('\n');

describe('README: cross-account in five minutes', { skip }, () => {
  before(async () => {
    const block = extractWalkthrough(await readFile(README, 'utf8'));
    assert.match(block, /--port 7560\b/, `the walk-through no longer serves on port ${README_PORT}`);
    const port = await freePort();
    const texts = splitSteps(block.replace(new RegExp(`\\b${README_PORT}\\b`, 'g'), String(port)));

    const work = await mkdtemp(join(tmpdir(), 'crossdock-readme-'));
    const home = join(work, 'home');
    const bin = join(work, 'bin');
    const dir = join(work, 'demo');
    await Promise.all([mkdir(join(home, 'run'), { recursive: true }), mkdir(bin), mkdir(dir)]);
    await symlink(AWS_CLI, join(bin, 'aws'));
    const layout = await makeOciLayout([{ 'hello.txt': 'hello from account A\n' }], 'v1');
    await cp(layout.dir, join(dir, 'image'), { recursive: true });
    await rm(layout.dir, { recursive: true, force: true });
    manifestDigest = layout.manifestDigest;

    const main = pathToFileURL(join(ROOT, 'src/cli/main.ts')).href;
    const prelude = [
      'set -m',
      'exec 2>&1',
      'trap \'for j in $(jobs -p); do kill -- -"$j" 2>/dev/null; done\' EXIT',
      "trap 'exit 143' TERM",
      'npx() {',
      '  if [ "$1" != crossdock ]; then echo "npx $1: only npx crossdock is provided here" >&2; return 127; fi',
      '  shift',
      '  if [ -n "$XD_BIN" ]; then node "$XD_BIN" "$@"; else node --import "$XD_TSX" -e "$XD_MAIN" -- "$@"; fi',
      '}',
    ].join('\n');
    const script = [
      prelude,
      ...texts.map((t, i) => `${t}\nprintf '\\n@@step ${i} %s %s\\n' "$?" "$EPOCHREALTIME"`),
    ].join('\n');
    const env = {
      PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      XDG_RUNTIME_DIR: join(home, 'run'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      AWS_PAGER: '',
      XD_BIN: (await distIsFresh()) ? join(ROOT, 'bin/crossdock.js') : '',
      XD_TSX: import.meta.resolve('tsx'),
      XD_MAIN: `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
    };
    const started = Date.now();
    const output = await new Promise<string>((resolve) => {
      execFile(
        'bash',
        ['-c', script],
        { cwd: dir, env, timeout: 120_000, maxBuffer: 16 << 20 },
        (_err, stdout) => resolve(stdout),
      );
    });
    elapsed = Date.now() - started;
    // [output of step 0, 0, its code, when it ended, output of step 1, 1, ..., whatever came last]
    const parts = output.split(/\n?@@step (\d+) (\d+) ([\d.]+)\n/);
    steps = [];
    let last = started / 1000;
    for (let k = 0; 4 * k + 3 < parts.length; k++) {
      const ended = Number(parts[4 * k + 3]);
      steps.push({
        text: texts[Number(parts[4 * k + 1])]!,
        code: Number(parts[4 * k + 2]),
        out: `${parts[4 * k]!.trim()}\n`,
        seconds: ended - last,
      });
      last = ended;
    }
    const log = await readFile(join(dir, 'xd.log'), 'utf8').catch(() => '(none)');
    await rm(work, { recursive: true, force: true });
    if (TRANSCRIPT_DIR !== undefined) {
      await mkdir(TRANSCRIPT_DIR, { recursive: true });
      const how = env.XD_BIN === '' ? 'crossdock from src/ (tsx)' : 'crossdock from dist/';
      await writeFile(
        join(TRANSCRIPT_DIR, 'readme-walkthrough.md'),
        `# README walk-through, ${how}, ${(elapsed / 1000).toFixed(1)} s\n\n${transcript()}\n`,
      );
    }
    assert.equal(
      steps.length,
      texts.length,
      `the block stopped after ${steps.length} of ${texts.length} steps:\n${transcript()}\n` +
        `${parts.at(-1)}\nserver log:\n${log}`,
    );
  });

  test('every step exits as the README says (verify and explain fail once, the rest succeed)', () => {
    const failing = new Set([one('crossdock verify', 0), one('crossdock explain')]);
    for (const s of steps)
      assert.equal(s.code, failing.has(s) ? 1 : 0, `step \`${s.text}\`\n---\n${transcript()}`);
  });

  test('verify stops at the manifest before grant, passes every step after it', () => {
    const before = one('crossdock verify', 0);
    assert.match(before.out, /✓ ecr:GetAuthorizationToken/);
    assert.match(before.out, /✓ registry login/);
    assert.match(before.out, /✗ manifest HEAD v1: 403 DENIED: .*ecr:BatchGetImage/);
    const after = one('crossdock verify', 1);
    assert.match(after.out, /✓ manifest HEAD v1: sha256:/);
    assert.match(after.out, /✓ blob HEAD sha256:/);
    assert.doesNotMatch(after.out, /✗/);
  });

  test("explain names the missing side in AWS's words", () => {
    const s = one('crossdock explain');
    assert.match(
      s.out,
      /user\/dev is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:\d{12}:repository\/team\/app because no resource-based policy allows the ecr:BatchGetImage action/,
    );
  });

  test('grant applies, access lists the grant, lint finds the written policy clean', () => {
    assert.match(one(/crossdock grant .*--apply/).out, /applied \d+ changes?/);
    assert.match(
      one('crossdock access').out,
      /\d{12}\/team\/app +arn:aws:iam::\d{12}:user\/dev +yes +- +EXTERNAL/,
    );
    assert.match(one('crossdock lint').out, /no findings/);
  });

  test('login, then skopeo pulls as B the image A pushed, with its digest', () => {
    one('crossdock login');
    const pull = one(/skopeo copy .*docker:\/\/\S+ oci:/);
    assert.equal(pull.out.trim().split('\n').at(-1), manifestDigest, pull.out);
  });

  test("no crossdock step prints the AWS SDK's Node.js support warning", () => {
    const commands = find('npx crossdock');
    assert.ok(commands.length > 5);
    for (const s of commands)
      assert.doesNotMatch(s.out, /NodeVersionSupportWarning|AWS SDK for JavaScript/, `step \`${s.text}\``);
  });
});
