// A postgres-cdc pipeline in a process of its own, for the kill -9 test: source → toTable →
// commitEpochs with a FileStore, every change and barrier appended to a log file (before the
// barrier's commit). `START <committed epoch>` opens each run, so the test can cut what a run
// emitted after the epoch its successor restored.
import { appendFileSync } from 'node:fs';
import { tap } from 'rxjs';
import { opOf } from '../../../src/core/Changelog.js';
import { checkpointKeys } from '../../../src/core/Checkpoint.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { toTable } from '../../../src/core/toTable.js';
import { createPostgresCdcSource } from '../../../src/connectors/postgres-cdc/index.js';
import type { Row } from '../../../src/formats/Format.js';
import { FileStore } from '../../../src/state/FileStore.js';
import { parseUrl } from '../../support/postgres.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`cdcChild: ${name} is not set`);
  return v;
};
const pg = parseUrl(env('CDC_URL'));
const log = env('CDC_LOG');
const name = env('CDC_NAME');
const store = await FileStore.open(env('CDC_STATE'));
const committed = (await store.get(checkpointKeys.committed(name))) ?? 0;
appendFileSync(log, `START ${String(committed)}\n`);
const source = createPostgresCdcSource({
  name, hostname: pg.host, port: pg.port, username: pg.user, password: pg.password, database: pg.database,
  tables: [env('CDC_TABLE')], slotName: env('CDC_SLOT'), publicationName: env('CDC_PUBLICATION'),
  store, checkpointIntervalMs: 30, batchRows: Number(process.env.CDC_BATCH ?? 5), maxBackoffMs: 500, reconnectAttempts: 100,
  // A test that must kill the process mid-snapshot slows it down: unthrottled, 10k rows take ~100 ms.
  ...(process.env.CDC_RATE === undefined ? {} : { rateLimit: Number(process.env.CDC_RATE) }),
});
source
  .pipe(
    toTable<Row>(source, { primaryKey: ['id'] }),
    tap((e) => {
      if (e.type === 'chunk') {
        if (e.records.length > 0) appendFileSync(log, e.records.map((r) => `C ${opOf(r)} ${String(r.id)} ${String(r.version)}\n`).join(''));
      } else appendFileSync(log, `B ${e.epoch}\n`);
    }),
    commitEpochs(source),
  )
  .subscribe({
    error: (err: unknown) => {
      appendFileSync(log, `ERROR ${err instanceof Error ? err.message : String(err)}\n`.replace(/\n(?!$)/g, ' '));
      process.exit(3);
    },
  });
