// Child process of IdbKeyvalStore.test.ts, run with modules hidden (hideModules.register.mjs):
// imports every state store, uses MemoryStore, then prints how IdbKeyvalStore.open and
// FileStore.open fared.
import { FileStore, IdbKeyvalStore, MemoryStore } from '../../src/state/index.js';

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const memory = new MemoryStore();
memory.set('k', 1);
process.stdout.write(`imported: MemoryStore ${memory.get('k') === 1 ? 'works' : 'is broken'}\n`);
try {
  const store = await IdbKeyvalStore.open({ dbName: 'import-test' });
  await store.close();
  process.stdout.write('idb open succeeded\n');
} catch (err) {
  process.stdout.write(`idb open failed: ${describe(err)}\n`);
  process.stdout.write(`idb cause: ${describe(err instanceof Error ? err.cause : undefined)}\n`);
}
try {
  const store = await FileStore.open(process.argv[2] ?? 'no-dir-given');
  await store.close();
  process.stdout.write('file open succeeded\n');
} catch (err) {
  process.stdout.write(`file open failed: ${describe(err)}\n`);
}
