import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBlobStoreSuite } from '../conformance.js';
import { openFsBlobStore } from './FsBlobStore.js';

runBlobStoreSuite('fs', async ({ clock }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-blobs-'));
  const open = () => openFsBlobStore({ dataDir, clock });
  return { ...(await open()), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
