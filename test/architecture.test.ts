// The layers of shared/DESIGN.md, enforced: every import inside src/ points down (or sideways
// within its own layer), and the policy engine imports nothing but itself and pure node built-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '../src');

/** Layers top to bottom; a file may import its own layer and the ones below it. */
const LAYERS = [
  'cli',
  'server',
  'web',
  'api',
  'registry',
  'services',
  'auth',
  'iam',
  'store',
  'oci',
] as const;
/** Layers that sit side by side and must not import each other. */
const SIBLINGS: Record<string, readonly string[]> = {
  api: ['registry'],
  registry: ['api'],
  iam: ['store'],
};
/** Node built-ins the pure engine may use (hashing is computation, not I/O). */
const PURE_BUILTINS = new Set(['node:crypto']);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): string {
  return relative(src, file).split('/')[0]!;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('imports in src/ point only down the layers', () => {
  const problems: string[] = [];
  for (const file of walk(src)) {
    const from = layerOf(file);
    const rank = LAYERS.indexOf(from as (typeof LAYERS)[number]);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (from === 'iam') {
        if (spec.startsWith('node:') && !PURE_BUILTINS.has(spec))
          problems.push(`${relative(src, file)}: the engine must stay pure, imports ${spec}`);
        if (!spec.startsWith('.') && !spec.startsWith('node:'))
          problems.push(`${relative(src, file)}: the engine imports package ${spec}`);
      }
      if (spec.includes('@cloud-copilot'))
        problems.push(`${relative(src, file)}: AGPL oracle imported from src/`);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src)) continue;
      const to = layerOf(target);
      if (to === from) continue;
      const toRank = LAYERS.indexOf(to as (typeof LAYERS)[number]);
      if (rank === -1 || toRank === -1) problems.push(`${relative(src, file)}: unknown layer ${to}`);
      else if (toRank < rank || SIBLINGS[from]?.includes(to))
        problems.push(`${relative(src, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(problems, []);
});
