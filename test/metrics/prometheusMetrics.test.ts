import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject, lastValueFrom, of, toArray } from 'rxjs';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { createSource } from '../../src/core/createSource.js';
import { chunk } from '../../src/core/SourceEvent.js';
import { prometheusMetrics, serveMetrics } from '../../src/metrics/index.js';

/** A bounded source of two splits; `a` reports bytes and a lag, `b` nothing but rows. */
function twoSplits(name: string, barriers: Subject<void>) {
  const source = createSource<{ id: string }, string>({
    name,
    enumerator: { splits: () => of([{ id: 'a' }, { id: 'b' }]) },
    reader: {
      read: (split, _offset, context) => {
        if (split.id === 'a') {
          context.metrics?.bytes('a', 123);
          context.metrics?.lag('a', 7, 'records');
          return of(chunk('a', ['x', 'y'], '0', '2'));
        }
        return of(chunk('b', ['z'], '0', '1'));
      },
    },
    barriers,
  });
  return source;
}

test('prometheusMetrics: counters per split, lag only where measured, checkpoints, no rate limit series without a limit', async () => {
  const barriers = new Subject<void>();
  const source = twoSplits('prom "one"', barriers);
  const exporter = await prometheusMetrics([source]);
  await lastValueFrom(source.pipe(commitEpochs(source), toArray()));
  const text = await exporter.text();
  // Label values are escaped as the exposition format says (a quote in a source name).
  assert.match(text, /^tributary_source_rows_total\{source="prom \\"one\\"",split="a"\} 2$/m);
  assert.match(text, /^tributary_source_rows_total\{source="prom \\"one\\"",split="b"\} 1$/m);
  assert.match(text, /^tributary_source_bytes_total\{source="prom \\"one\\"",split="a"\} 123$/m);
  assert.match(text, /^tributary_source_lag\{source="prom \\"one\\"",split="a",unit="records"\} 7$/m);
  assert.doesNotMatch(text, /^tributary_source_lag\{[^}]*split="b"/m);
  assert.match(text, /^tributary_source_checkpoints_total\{source="prom \\"one\\""\} 1$/m);
  assert.match(text, /^tributary_source_checkpoint_write_seconds_count\{source="prom \\"one\\""\} 1$/m);
  assert.doesNotMatch(text, /^tributary_source_rate_limit_rows_per_second\{/m);
  source.setRateLimit(0);
  assert.match(await exporter.text(), /^tributary_source_rate_limit_rows_per_second\{source="prom \\"one\\""\} 0$/m);
  exporter.close();
});

test('serveMetrics: GET /metrics answers the text, other paths 404, other methods 405; a busy port rejects', async () => {
  const barriers = new Subject<void>();
  const source = twoSplits('served', barriers);
  const exporter = await prometheusMetrics(() => [source], { prefix: 'x_' });
  const server = await serveMetrics(exporter, { port: 0 });
  try {
    const ok = await fetch(server.url);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^# HELP x_source_rows_total /m);
    assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    await assert.rejects(serveMetrics(exporter, { port: server.port }), /EADDRINUSE/);
  } finally {
    await server.close();
    exporter.close();
  }
});
