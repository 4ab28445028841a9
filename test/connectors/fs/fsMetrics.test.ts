// The fs source reports the bytes it read per file into the source's metrics, on the main thread
// and with decoding on worker threads alike: the figure must equal each file's size once a bounded
// scan is done (a read counted twice, or a batch of a worker not counted, shows up as a mismatch).
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { FormatSpec } from '../../../src/parallel/FormatSpec.js';
import { run, tempDir } from './helpers.js';

for (const threads of [1, 2]) {
  test(`bytes read per file equal the files' sizes (${threads === 1 ? 'main thread' : 'two decode threads'})`, async (t) => {
    const dir = await tempDir(t);
    const text = (n: number) => Array.from({ length: n }, (_, i) => `${i},name-${i},"quoted, ${i}"\n`).join('');
    writeFileSync(join(dir, 'a.csv'), `id,name,note\n${text(400)}`);
    writeFileSync(join(dir, 'b.csv'), `id,name,note\n${text(37)}`);
    const spec: FormatSpec = { name: 'csv', options: {} };
    const source = createFsSource({
      name: 'bytes',
      path: dir,
      format: createFormat(spec.name, spec.options, spec.columns),
      formatSpec: spec,
      decodeThreads: threads,
      decodeRangeBytes: 1009,
      readBufferBytes: 211,
      barriers: NEVER,
    });
    const r = run(source);
    await r.done;
    assert.equal(r.error(), undefined);
    assert.equal(r.records.length, 437);
    const metrics = source.metrics();
    const bySplit = new Map(metrics.splits.map((s) => [s.split, s]));
    for (const file of ['a.csv', 'b.csv']) {
      const split = [...bySplit.values()].find((s) => s.split.endsWith(file));
      assert.ok(split !== undefined, `a split for ${file} in ${[...bySplit.keys()].join(', ')}`);
      assert.equal(split.bytes, statSync(join(dir, file)).size, file);
    }
    assert.equal(metrics.bytes, statSync(join(dir, 'a.csv')).size + statSync(join(dir, 'b.csv')).size);
  });
}
