import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINT_USAGE, lintCommand } from './lint.js';

let dir: string;
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const FILES: Record<string, string> = {
  'clean.json': doc({
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::222222222222:role/ecs-task-role' },
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
  }),
  'root.json': doc({
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::222222222222:root' },
    Action: 'ecr:BatchGetImage',
  }),
  'resource.json': doc({
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::222222222222:role/r' },
    Action: 'ecr:BatchGetImage',
    Resource: 'arn:aws:ecr:us-east-1:111111111111:repository/app',
  }),
  'broken.json': '{"Statement": [',
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crossdock-lint-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await lintCommand(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('crossdock lint exit status and output', () => {
  const cases: { name: string; args: (d: string) => string[]; code: number; out?: RegExp; err?: RegExp }[] = [
    {
      name: 'a clean policy exits 0',
      args: (d) => [join(d, 'clean.json')],
      code: 0,
      out: /repository policy \(guessed; --type to choose\)\n {2}no findings$/,
    },
    {
      name: 'a finding exits 1 and names the statement and the rule',
      args: (d) => [join(d, 'root.json')],
      code: 1,
      out: /warning root-principal: statement #0 "AllowPull" names `arn:aws:iam::222222222222:root`[^\n]*\n {4}rule: an account principal[^\n]*\n1 finding$/,
    },
    {
      name: 'a document AWS refuses exits 2 with AWS’s code and message',
      args: (d) => [join(d, 'resource.json'), '--type', 'repository'],
      code: 2,
      out: /invalid: InvalidParameterException: Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided' \(statement #0 "AllowPull"\)\n {4}reason: Has prohibited field Resource/,
    },
    {
      name: 'the same document as a registry policy is valid',
      args: (d) => [join(d, 'resource.json'), '--type', 'registry'],
      code: 0,
    },
    {
      name: 'not JSON exits 2',
      args: (d) => [join(d, 'broken.json')],
      code: 2,
      out: /MalformedPolicyDocument: Syntax errors in policy\./,
    },
    { name: 'a missing file exits 2', args: (d) => [join(d, 'nope.json')], code: 2, err: /cannot read/ },
    { name: 'no file is a usage error', args: () => [], code: 2, err: /exactly one policy file/ },
    {
      name: 'an unknown --type is a usage error',
      args: (d) => [join(d, 'clean.json'), '--type', 'bucket'],
      code: 2,
      err: /--type takes/,
    },
    {
      name: 'an unknown flag is a usage error',
      args: (d) => [join(d, 'clean.json'), '--strict'],
      code: 2,
      err: /usage: crossdock lint/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await run(c.args(dir));
      assert.equal(r.code, c.code, r.out + r.err);
      if (c.out !== undefined) assert.match(r.out, c.out);
      if (c.err !== undefined) assert.match(r.err, c.err);
    });
  }

  test('--json prints the whole result', async () => {
    const r = await run([join(dir, 'root.json'), '--json']);
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out);
    assert.equal(json.file, join(dir, 'root.json'));
    assert.equal(json.type, 'repository');
    assert.equal(json.typeGuessed, true);
    assert.equal(json.valid, true);
    assert.deepEqual(
      json.findings.map((f: any) => [f.id, f.severity, f.statement]),
      [['root-principal', 'warning', { index: 0, sid: 'AllowPull' }]],
    );
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.equal(r.out, LINT_USAGE);
  });
});
