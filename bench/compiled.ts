/**
 * The policy engine as the server runs it: src/iam emitted to JavaScript by the TypeScript
 * compiler (the same transform `npm run build` applies, file by file), loaded from a temporary
 * directory. Benchmarks time this rather than the sources as tsx serves them, because tsx's
 * `keepNames` transform wraps every closure the engine creates per request in a naming helper,
 * which the built package does not do.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import type * as iam from '../src/iam/index.js';

/** The public API of src/iam, loaded from its compiled form. */
export type Engine = typeof iam;

const SOURCE = join(import.meta.dirname, '../src/iam');

function emit(dir: string, out: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      emit(path, out);
      continue;
    }
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const js = ts.transpileModule(readFileSync(path, 'utf8'), {
      fileName: path,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    const target = join(out, relative(SOURCE, path)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
}

/** Compiles src/iam to a temporary directory (removed when the process exits) and imports it. */
export async function compiledEngine(): Promise<Engine> {
  const out = mkdtempSync(join(tmpdir(), 'crossdock-bench-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  emit(SOURCE, out);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  return (await import(pathToFileURL(join(out, 'index.js')).href)) as Engine;
}
