// Child process of FileStore.kill.test.ts: writes checkpoints as fast as it can until it is
// killed with SIGKILL. Prints "ready <first epoch>" once open, then "ack <epoch>" for every
// checkpoint whose setMany has resolved (stdout to a pipe is synchronous on Linux, so an "ack"
// the parent reads was printed before the kill).
import { FileStore } from '../../src/state/FileStore.js';
import { checkpointEntries, KEEP_EPOCHS } from './killCheckpoint.js';

// Never outlive the test: stop when the parent goes away (stdout breaks) or after a minute.
process.stdout.on('error', () => process.exit(2));
setTimeout(() => process.exit(3), 60_000).unref();

const [dir, mode = 'blocking'] = process.argv.slice(2);
if (dir === undefined || (mode !== 'blocking' && mode !== 'async')) {
  throw new Error('usage: fileStoreKillWriter.ts <dir> [blocking|async]');
}
// Room for a few checkpoints in the log (see FileStore.kill.test.ts), so appends and rewrites mix.
const store = await FileStore.open(dir, { blockingWrites: mode === 'blocking', maxLogBytes: 4 * 1024 * 1024 });
const last = await store.get('s/last');
let epoch = typeof last === 'number' ? last + 1 : 1;
process.stdout.write(`ready ${epoch}\n`);
for (;;) {
  // Two checkpoints in flight at once, so that grouped writes are killed too.
  const epochs = [epoch, epoch + 1];
  await Promise.all(
    epochs.map((n) => store.setMany(checkpointEntries(n)).then(() => process.stdout.write(`ack ${n}\n`))),
  );
  await store.delMany(epochs.map((n) => `s/epoch/${n - KEEP_EPOCHS}`));
  epoch += 2;
}
