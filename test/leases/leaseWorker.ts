// Child process of the lease tests: runs one synthetic unbounded source of SPLITS splits under
// PostgresSplitLeases. Each split yields records 0, 1, 2, ... (one every TICK_MS); a record is
// printed "row <split> <i>" by the sink before its epoch commits, and every lease event as
// "event <json>". SIGTERM stops it cleanly (a final checkpoint, then the leases given back).
import { NEVER, Subject, concat, interval, map, merge, of, tap } from 'rxjs';
import { checkpointed } from '../../src/core/checkpointed.js';
import { createSource } from '../../src/core/createSource.js';
import { chunk, isBarrier } from '../../src/core/SourceEvent.js';
import type { SourceSplit } from '../../src/core/SourceSplit.js';
import { PostgresSplitLeases } from '../../src/leases/PostgresSplitLeases.js';

process.stdout.on('error', () => process.exit(2));
setTimeout(() => process.exit(3), 120_000).unref();

const [url, table, source, splitCount, leaseMs, member] = process.argv.slice(2);
if (url === undefined || table === undefined || source === undefined || member === undefined) throw new Error('usage: leaseWorker.ts <url> <table> <source> <splits> <leaseMs> <member>');
const TICK_MS = 20;
const leases = await PostgresSplitLeases.open({ connection: url, table, member, leaseMs: Number(leaseMs) });
leases.events$.subscribe((event) => process.stdout.write(`event ${JSON.stringify(event)}\n`));
const splits: SourceSplit[] = Array.from({ length: Number(splitCount) }, (_, i) => ({ id: `s${String(i).padStart(2, '0')}` }));
const stop$ = new Subject<void>();
const src = createSource<SourceSplit, string>({
  name: source,
  leases,
  barriers: merge(interval(150), stop$),
  enumerator: { splits: () => concat(of(splits), NEVER) },
  reader: {
    read: (split, offset) => {
      const start = offset === null ? 0 : Number(offset);
      return interval(TICK_MS).pipe(map((n) => chunk(split.id, [`${split.id} ${start + n}`], String(start + n), String(start + n + 1))));
    },
  },
});
let stopping = false;
const subscription = checkpointed(src, (e) => e, {
  sink: {
    write: (records) => {
      process.stdout.write(records.map((r) => `row ${r}\n`).join(''));
    },
    flush: () => undefined,
  },
})
  .pipe(
    tap((event) => {
      if (stopping && isBarrier(event)) {
        subscription.unsubscribe();
        void leases.close().then(() => process.exit(0));
      }
    }),
  )
  .subscribe({ error: (err: unknown) => {
    process.stderr.write(`worker failed: ${String(err)}\n`);
    process.exit(1);
  } });
process.on('SIGTERM', () => {
  stopping = true;
  stop$.next();
});
process.stdout.write('ready\n');
