import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { barrierTrigger, crashAfterCheckpoint, run, tempDir } from './helpers.js';

// CSV files with a header and bad rows here and there, a crash after k chunks, a restart: every
// row and every dead letter exactly once, reading one file at a time or three, on the main thread
// or on two decode threads. (A review's repro: dead letters were lost when a barrier fell between
// a batch's position and its dead letters, and repeated when a reader closed between them.)
for (const [threads, maxOpenFiles] of [[1, 1], [1, 3], [2, 1], [2, 3]] as const) {
  test(`CSV rows and dead letters exactly once across a crash and restart, decode threads ${threads}, files at once ${maxOpenFiles}`, async (t) => {
    const dir = await tempDir(t);
    const expectRows: string[] = [];
    let expectBad = 0;
    for (let f = 0; f < 3; f++) {
      let text = 'id,name\n';
      for (let i = 0; i < 300; i++) {
        if (i % 37 === 5) { text += `${f}-${i}\n`; expectBad++; }
        else { text += `${f}-${i},n\n`; expectRows.push(`${f}-${i}`); }
      }
      await writeFile(join(dir, `f${f}.csv`), text);
    }
    const failures: string[] = [];
    // Each run on threads starts its workers: fewer crash points there.
    for (const k of threads === 1 ? [1, 2, 3, 5, 8, 13, 21, 34] : [1, 5, 21]) {
      const store = new MemoryStore();
      const make = (barriers = barrierTrigger()) => createFsSource({ name: 'x', path: dir, format: createFormat('csv'), store, barriers, badRecords: 'dead-letter', readBufferBytes: 128, maxOpenFiles, ...(threads > 1 ? { formatSpec: { name: 'csv', options: {} }, decodeThreads: threads, decodeRangeBytes: 1000 } : {}) });
      const barriers = barrierTrigger();
      const first = make(barriers);
      const l1: DeadLetter[] = [];
      const s1 = first.deadLetters$.subscribe((l) => l1.push(l));
      let committed: Map<string, Record<string, unknown>[]>;
      try { committed = (await crashAfterCheckpoint(first, barriers, k)) as Map<string, Record<string, unknown>[]>; } catch (e) { failures.push(`k=${k}: ${String(e)}`); s1.unsubscribe(); continue; }
      s1.unsubscribe();
      const second = make();
      const l2: DeadLetter[] = [];
      const s2 = second.deadLetters$.subscribe((l) => l2.push(l));
      const r = run(second);
      await r.done;
      s2.unsubscribe();
      const rows = [...committed.values()].flat().map((r) => r.id as string).concat(r.records.map((x) => (x as Record<string, unknown>).id as string));
      const seen = new Set(rows);
      const dupRows = rows.length - seen.size;
      const missing = expectRows.filter((x) => !seen.has(x)).length;
      const bad = first.badRecordStats.deadLettered + second.badRecordStats.deadLettered;
      const line = `k=${k} rows ${rows.length}/${expectRows.length} dup ${dupRows} missing ${missing} bad ${bad}/${expectBad} (run1 ${l1.length}, run2 ${l2.length}) err ${String(r.error() ?? '')}`;
      if (dupRows || missing || bad !== expectBad) failures.push(line);
    }
    assert.deepEqual(failures, []);
  });
}
