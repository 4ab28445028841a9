// Child process of PostgresStore.test.ts: writes checkpoints through a PostgresStore as fast as it
// can until it is killed with SIGKILL. Prints "ready <first epoch>", then "ack <epoch>" for every
// checkpoint whose setMany resolved.
import { PostgresStore } from '../../src/state/PostgresStore.js';
import { checkpointEntries, KEEP_EPOCHS } from './killCheckpoint.js';

process.stdout.on('error', () => process.exit(2));
setTimeout(() => process.exit(3), 60_000).unref();

const [url, table, namespace] = process.argv.slice(2);
if (url === undefined || table === undefined || namespace === undefined) throw new Error('usage: postgresStoreKillWriter.ts <url> <table> <namespace>');
const store = await PostgresStore.open({ connection: url, table, namespace });
const last = await store.get('s/last');
let epoch = typeof last === 'number' ? last + 1 : 1;
process.stdout.write(`ready ${epoch}\n`);
for (;;) {
  const epochs = [epoch, epoch + 1];
  await Promise.all(epochs.map((n) => store.setMany(checkpointEntries(n)).then(() => process.stdout.write(`ack ${n}\n`))));
  await store.delMany(epochs.map((n) => `s/epoch/${n - KEEP_EPOCHS}`));
  epoch += 2;
}
