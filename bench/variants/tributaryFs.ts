import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NEVER, tap } from 'rxjs';
import { createFsSource, type FsSourceOptions } from '../../src/connectors/fs/createFsSource.js';
import { checkpointed } from '../../src/core/checkpointed.js';
import type { Source } from '../../src/core/Source.js';
import { toRecords } from '../../src/core/toRecords.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Row } from '../../src/formats/Format.js';
import { FileStore } from '../../src/state/FileStore.js';
import type { Variant, VariantArgs, VariantResult } from '../Variant.js';

/**
 * Reads a source to the end through the pipeline the README shows,
 * `checkpointed(source).pipe(toRecords())`, counting rows (and, on the side, the
 * barriers that went through).
 */
export function drain(source: Source<Row>): Promise<VariantResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let rows = 0;
    let barriers = 0;
    let firstRowMs: number | undefined;
    checkpointed(source)
      .pipe(
        tap((event) => {
          if (event.type === 'barrier') barriers++;
        }),
        toRecords(),
      )
      .subscribe({
        next: () => {
          if (rows++ === 0) firstRowMs = performance.now() - started;
        },
        error: reject,
        complete: () => resolve({ rows, detail: { barriers }, ...(firstRowMs !== undefined ? { firstRowMs } : {}) }),
      });
  });
}

/** A bounded fs source over the one file `args.path`, in `format`, with tributary's defaults. */
export function fileSource(
  args: VariantArgs,
  format: string,
  extra: Pick<FsSourceOptions, 'barriers' | 'checkpointIntervalMs' | 'store'> = {},
): Source<Row> {
  return createFsSource({
    name: 'bench',
    path: dirname(args.path),
    pattern: basename(args.path),
    format: createFormat(format),
    ...extra,
  });
}

/** tributary's fs connector and csv format, defaults (in-memory store, a barrier a second). */
export const tributaryCsv: Variant = (args) => drain(fileSource(args, 'csv'));

/**
 * The CSV scan over every file of the folder `options.folder` (one split per file), defaults
 * otherwise: the per-file cost against `tributary-csv` over the same rows in one file.
 */
export const tributaryCsvFolder: Variant = (args) => {
  const folder = args.options.folder;
  if (folder === undefined) throw new Error('tributary-csv-folder needs options.folder');
  return drain(createFsSource({ name: 'bench', path: folder, pattern: '*.csv', format: createFormat('csv') }));
};

/** tributary's fs connector and json format (NDJSON). */
export const tributaryNdjson: Variant = (args) => drain(fileSource(args, 'json'));

/** The CSV scan with no barriers at all: the reference for the barrier-overhead case. */
export const tributaryCsvNoBarriers: Variant = (args) => drain(fileSource(args, 'csv', { barriers: NEVER }));

/**
 * The CSV scan with a barrier every 100 ms, each checkpoint written durably to a FileStore in
 * `options.stateDir` (a fresh folder every run; opening it is part of the run).
 */
export const tributaryCsvBarriers: Variant = async (args) => {
  const stateDir = args.options.stateDir;
  if (stateDir === undefined) throw new Error('tributary-csv-barriers needs options.stateDir');
  const store = await FileStore.open(stateDir);
  try {
    return await drain(fileSource(args, 'csv', { checkpointIntervalMs: 100, store }));
  } finally {
    await store.close();
  }
};

/** The same barriers into the default in-memory store: separates the cost of barriers from the cost of durability. */
export const tributaryCsvBarriersMemory: Variant = (args) => drain(fileSource(args, 'csv', { checkpointIntervalMs: 100 }));
