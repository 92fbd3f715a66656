import { runMetadataStoreSuite } from '../conformance.js';
import { MemoryMetadataStore } from './MemoryMetadataStore.js';

runMetadataStoreSuite('memory', async () => {
  const store = new MemoryMetadataStore();
  return { store, cleanup: () => store.close() };
});
