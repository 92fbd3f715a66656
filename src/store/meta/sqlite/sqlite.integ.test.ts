import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { persistentHarness, runMetadataStoreSuite } from '../conformance.js';
import { openSqliteMetadataStore } from './SqliteMetadataStore.js';

runMetadataStoreSuite('sqlite', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-meta-'));
  return persistentHarness(
    () => openSqliteMetadataStore({ dataDir }),
    () => rm(dataDir, { recursive: true, force: true }),
  );
});
