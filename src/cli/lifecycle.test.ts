import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleCommand } from './lifecycle.js';

/** Runs the command with console output captured. */
async function run(args: string[]): Promise<{ code: number; err: string }> {
  const errors: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  console.log = () => undefined;
  try {
    return { code: await lifecycleCommand(args), err: errors.join('\n') };
  } finally {
    console.error = error;
    console.log = log;
  }
}

const cases: { name: string; args: string[]; code: number; says?: RegExp }[] = [
  { name: 'help exits 0', args: ['run', '--help'], code: 0 },
  { name: 'an unknown subcommand is a usage error', args: ['sweep'], code: 2 },
  {
    name: 'neither --endpoint nor --data is a usage error',
    args: ['run'],
    code: 2,
    says: /one of --endpoint and --data/,
  },
  {
    name: 'both --endpoint and --data is a usage error',
    args: ['run', '--endpoint', 'http://127.0.0.1:1', '--data', '/nonexistent'],
    code: 2,
  },
  {
    name: '--gc-grace with --endpoint is refused, the server has its own',
    args: ['run', '--endpoint', 'http://127.0.0.1:1', '--gc-grace', '1h'],
    code: 2,
    says: /--gc-grace goes with --data/,
  },
  {
    name: 'a grace period that is not a duration is refused with the value in backticks',
    args: ['run', '--data', '/nonexistent', '--gc-grace', 'soon'],
    code: 2,
    says: /`soon`/,
  },
  { name: 'an unknown option is a usage error', args: ['run', '--force'], code: 2 },
  {
    name: 'a directory without crossdock data is refused, not initialised',
    args: ['run', '--data', '/nonexistent-crossdock-data'],
    code: 1,
    says: /no crossdock data in `\/nonexistent-crossdock-data`/,
  },
];

describe('crossdock lifecycle', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const r = await run(c.args);
      assert.equal(r.code, c.code, r.err);
      if (c.says !== undefined) assert.match(r.err, c.says);
    });
  }
});
