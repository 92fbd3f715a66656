// The property blob garbage collection relies on across processes (services/ecr/gc.ts): inside a
// transaction, `referencedAnywhereLocked` holds SQLite's write lock until the transaction ends, so
// a write of another process (a push naming its blob) cannot commit in between: it waits, or is
// refused SQLITE_BUSY (a deferred transaction that must upgrade). The plain check does not: the
// second case shows the same interleaving committing, so the first can fail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteMetadataStore } from './SqliteMetadataStore.js';

const A = '111111111111';
const REGION = 'us-east-1';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const MODULE = fileURLToPath(new URL('./SqliteMetadataStore.ts', import.meta.url));

/** A child process that opens the store, checks inside a transaction, says so, waits, and commits. */
function child(dataDir: string, check: 'referencedAnywhereLocked' | 'referencedAnywhere'): Promise<number> {
  const code = `
    import(${JSON.stringify(MODULE)}).then(async ({ openSqliteMetadataStore }) => {
      const { writeFileSync } = await import('node:fs');
      const store = await openSqliteMetadataStore({ dataDir: ${JSON.stringify(dataDir)} });
      await store.transaction(async (tx) => {
        await tx.blobs.${check}(${JSON.stringify(DIGEST)});
        writeFileSync(${JSON.stringify(join(dataDir, 'checked'))}, '');
        await new Promise((r) => setTimeout(r, 1500));
        writeFileSync(${JSON.stringify(join(dataDir, 'done'))}, '');
      });
      await store.close();
    });`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', code], { timeout: 60_000 }, (err) =>
      resolve(err === null ? 0 : 1),
    );
  });
}

const cases = [
  {
    name: 'a write of another process cannot commit during the transaction of the locked check',
    check: 'referencedAnywhereLocked' as const,
    committedDuring: false,
  },
  {
    name: 'a write of another process commits during the transaction of the plain check',
    check: 'referencedAnywhere' as const,
    committedDuring: true,
  },
];

describe('the garbage collector’s lock across processes (sqlite)', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-gclock-'));
      const store = await openSqliteMetadataStore({ dataDir });
      try {
        const ref = { accountId: A, region: REGION, name: 'app' };
        await store.repositories.create({
          ...ref,
          arn: `arn:aws:ecr:${REGION}:${A}:repository/app`,
          createdAt: new Date(0),
          imageTagMutability: 'MUTABLE',
          imageTagMutabilityExclusionFilters: [],
          scanOnPush: false,
          encryption: { encryptionType: 'AES256' },
          tags: [],
        });
        const exited = child(dataDir, c.check);
        for (let i = 0; !existsSync(join(dataDir, 'checked')); i++) {
          assert.ok(i < 600, 'the child checked');
          await new Promise((r) => setTimeout(r, 50));
        }
        const written = await store.blobs.link(ref, { digest: DIGEST, size: 1, linkedAt: new Date(0) }).then(
          () => true,
          (e: unknown) => {
            if ((e as { code?: string }).code === 'SQLITE_BUSY') return false;
            throw e;
          },
        );
        assert.equal(written && !existsSync(join(dataDir, 'done')), c.committedDuring);
        assert.equal(await exited, 0);
      } finally {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
