import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { ProgressLine, lagText, type ProgressCounts } from '../src/cli/ProgressLine.js';

/** A stand-in for a terminal (or, with `isTTY` false, a pipe): records what is written, with when. */
function fakeStream(isTTY: boolean, scheduler: TestScheduler): NodeJS.WriteStream & { readonly log: string[] } {
  const log: string[] = [];
  const stream = {
    isTTY,
    log,
    write(text: string | Uint8Array): boolean {
      log.push(`${scheduler.now()}:${String(text)}`);
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { readonly log: string[] };
}

const newScheduler = (): TestScheduler => new TestScheduler((a, b) => assert.deepEqual(a, b));

// ticks:  1000ms: draw A, 2000ms: draw B, 2500ms: stop -> B drawn again (final) + newline
test('on a terminal the line is redrawn once a second and left in place at the end', () => {
  const scheduler = newScheduler();
  scheduler.run(({ flush }) => {
    const stderr = fakeStream(true, scheduler);
    let counts: ProgressCounts = { rows: 0, bytes: 0 };
    const line = new ProgressLine(stderr, () => counts, { scheduler });
    scheduler.schedule(() => (counts = { rows: 1000, bytes: 2048 }), 500);
    scheduler.schedule(() => (counts = { rows: 3000, bytes: 4096, lag: '12,345 records' }), 1500);
    scheduler.schedule(() => (counts = { rows: 3500, bytes: 5000, lag: '0 records' }), 2400);
    scheduler.schedule(() => line.stop(), 2500);
    flush();
    assert.deepEqual(stderr.log, [
      '1000:\r\x1b[K1,000 rows, 2.0 KiB written, 1,000 rows/s, 1s',
      '2000:\r\x1b[K3,000 rows, 4.0 KiB written, 2,000 rows/s, lag 12,345 records, 2s',
      // The final line keeps the last full second's rate, not 500 rows over 500 ms.
      '2500:\r\x1b[K3,500 rows, 4.9 KiB written, 2,000 rows/s, lag 0 records, 3s',
      '2500:\n',
    ]);
  });
});

test('a run shorter than a second draws nothing; stderr that is not a terminal gets no line', () => {
  const scheduler = newScheduler();
  scheduler.run(({ flush }) => {
    const quick = fakeStream(true, scheduler);
    const quickLine = new ProgressLine(quick, () => ({ rows: 5, bytes: 5 }), { scheduler });
    scheduler.schedule(() => quickLine.stop(), 999);
    const pipe = fakeStream(false, scheduler);
    const pipeLine = new ProgressLine(pipe, () => ({ rows: 5, bytes: 5 }), { scheduler });
    assert.equal(pipeLine.active, false);
    scheduler.schedule(() => pipeLine.stop(), 5000);
    flush();
    assert.deepEqual(quick.log, []);
    assert.deepEqual(pipe.log, []);
  });
});

test('rows written to the same terminal erase the line first; it comes back at the next tick, below them', () => {
  const scheduler = newScheduler();
  scheduler.run(({ flush }) => {
    const stderr = fakeStream(true, scheduler);
    const stdout = fakeStream(true, scheduler);
    const originalWrite = stdout.write;
    const line = new ProgressLine(stderr, () => ({ rows: 1, bytes: 10 }), { scheduler, output: stdout });
    scheduler.schedule(() => stdout.write('{"a":1}\n'), 1200);
    scheduler.schedule(() => stdout.write('{"a":2}\n'), 1300);
    scheduler.schedule(() => line.stop(), 2100);
    flush();
    assert.deepEqual(stderr.log, [
      '1000:\r\x1b[K1 rows, 10 B written, 1 rows/s, 1s',
      '1200:\r\x1b[K', // erased once, before the first row; the second row finds it gone
      '2000:\r\x1b[K1 rows, 10 B written, 0 rows/s, 2s',
      '2100:\r\x1b[K1 rows, 10 B written, 0 rows/s, 2s',
      '2100:\n',
    ]);
    assert.deepEqual(stdout.log, ['1200:{"a":1}\n', '1300:{"a":2}\n']);
    assert.equal(stdout.write, originalWrite, 'stop gives stdout its own write back');
  });
});

test('stop(true) erases the line instead of leaving it', () => {
  const scheduler = newScheduler();
  scheduler.run(({ flush }) => {
    const stderr = fakeStream(true, scheduler);
    const line = new ProgressLine(stderr, () => ({ rows: 2, bytes: 2 }), { scheduler });
    scheduler.schedule(() => line.stop(true), 1500);
    flush();
    assert.deepEqual(stderr.log, ['1000:\r\x1b[K2 rows, 2 B written, 2 rows/s, 1s', '1500:\r\x1b[K']);
  });
});

test('lag text: each unit with its figure, nothing when no split knows its lag', () => {
  assert.equal(lagText({}), undefined);
  assert.equal(lagText({ records: 12345 }), '12,345 records');
  assert.equal(lagText({ records: 3, ms: 1500 }), '3 records + 1,500 ms');
});
