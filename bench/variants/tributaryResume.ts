import { performance } from 'node:perf_hooks';
import { Subject, takeWhile, tap } from 'rxjs';
import { createFsSource } from '../../src/connectors/fs/createFsSource.js';
import { checkpointKeys } from '../../src/core/Checkpoint.js';
import { checkpointed } from '../../src/core/checkpointed.js';
import type { Source } from '../../src/core/Source.js';
import { toRecords } from '../../src/core/toRecords.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Row } from '../../src/formats/Format.js';
import { FileStore } from '../../src/state/FileStore.js';
import type { Variant, VariantArgs } from '../Variant.js';

const NAME = 'bench-resume';

function folderSource(args: VariantArgs, store: FileStore, barriers: Subject<void>): Source<Row> {
  return createFsSource({ name: NAME, path: args.path, pattern: '*.csv', format: createFormat('csv'), store, barriers });
}

function stateDirOf(args: VariantArgs): string {
  const dir = args.options.stateDir;
  if (dir === undefined) throw new Error('the resume variants need options.stateDir');
  return dir;
}

/**
 * Writes the checkpoint the resume case starts from: reads the folder (one split per file) until
 * half its rows went through, asks for one barrier, and stops as soon as that barrier was
 * committed. Reports how many rows the checkpoint covers and how many splits it holds.
 */
export const tributaryResumePrepare: Variant = async (args) => {
  const store = await FileStore.open(stateDirOf(args));
  const barriers = new Subject<void>();
  const source = folderSource(args, store, barriers);
  let rows = 0;
  let requested = false;
  let covered = -1;
  await new Promise<void>((resolve, reject) => {
    checkpointed(source)
      .pipe(
        tap((event) => {
          // Every chunk before the barrier has been counted by now: that is what it covers.
          if (event.type === 'barrier' && requested) covered = rows;
        }),
        takeWhile((event) => !(event.type === 'barrier' && requested), true),
        toRecords(),
      )
      .subscribe({
        next: () => {
          rows++;
          if (!requested && rows >= Math.floor(args.rows / 2)) {
            requested = true;
            barriers.next();
          }
        },
        error: reject,
        complete: () => (covered >= 0 ? resolve() : reject(new Error('the source completed before its barrier was committed'))),
      });
  });
  const committed = await store.get(checkpointKeys.committed(NAME));
  const snapshot = typeof committed === 'number' ? await store.get(checkpointKeys.snapshot(NAME, committed)) : undefined;
  const splits =
    snapshot !== null && typeof snapshot === 'object' && !Array.isArray(snapshot) && typeof snapshot.splits === 'object' && snapshot.splits !== null
      ? Object.keys(snapshot.splits).length
      : 0;
  await store.close();
  return { rows: covered, detail: { rowsBeforeCheckpoint: covered, rowsRead: rows, splitsInCheckpoint: splits } };
};

/**
 * Resumes from that checkpoint in a fresh process: opens the FileStore, builds the source,
 * subscribes, and times the first row; then reads on to the end so that the row count checks
 * that exactly the rows after the checkpoint were read.
 */
export const tributaryResume: Variant = async (args) => {
  const started = performance.now();
  const store = await FileStore.open(stateDirOf(args));
  const source = folderSource(args, store, new Subject<void>());
  let firstRowMs: number | undefined;
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    checkpointed(source).pipe(toRecords()).subscribe({
      next: () => {
        firstRowMs ??= performance.now() - started;
        rows++;
      },
      error: reject,
      complete: resolve,
    });
  });
  await store.close();
  return { rows, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};
