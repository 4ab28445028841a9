// Child process of FileStore.test.ts: opens a FileStore with writeThread, writes until a write went
// through the thread (the event loop turned during it), makes one last write, prints "written <n>"
// and returns without closing the store. An idle writer thread must not keep the process alive.
import { FileStore } from '../../src/state/FileStore.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: fileStoreThreadChild.ts <dir>');
const store = await FileStore.open(dir, { writeThread: true });
const deadline = Date.now() + 10_000;
let n = 0;
for (;;) {
  let turned = false;
  setImmediate(() => (turned = true));
  await store.set('n', ++n);
  if (turned) break;
  if (Date.now() > deadline) throw new Error('no write went through the writer thread within 10 s');
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await store.set('n', ++n);
process.stdout.write(`written ${n}\n`);
