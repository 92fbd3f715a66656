import { runBlobStoreSuite } from '../conformance.js';
import { createMemoryBlobStore } from './MemoryBlobStore.js';

runBlobStoreSuite('memory', async ({ clock }) => ({
  ...createMemoryBlobStore({ clock }),
  cleanup: async () => undefined,
  unboundedMemory: 'the memory driver holds every blob in process memory by design',
}));
