// The share tests' row check (shareCli.ts checkRows) must be able to fail: a repeat is accepted
// only when paired with a takeover from the killed (or stopped) process, at or after the
// offset the new holder started from, and both printed the row. Scripted processes here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRows, type PrintedRows } from './shareCli.js';

/** A process that took `took` (split -> start offset, `null`: none committed) at time `at` and printed rows `p i` of `printed`. */
function proc(acquired: Array<{ at: number; took: Record<string, string | null> }>, printed: Array<[number, number[]]>): PrintedRows {
  return {
    acquired: acquired.map(({ at, took }) => ({ at, splits: Object.keys(took), from: Object.values(took) })),
    rows: printed.flatMap(([p, is]) => is.map((i) => `${p} ${i}`)),
  };
}

const check = (procs: PrintedRows[], mayRepeat: PrintedRows[]): string | number => {
  try {
    return checkRows(procs, 2, 4, (message) => {
      throw new Error(message);
    }, mayRepeat);
  } catch (err) {
    return (err as Error).message;
  }
};

test('checkRows: a repeat after a takeover from the killed process passes; each repeat needs its own takeover', () => {
  // p1 reads t-0 and t-1; p2 (killed) held t-1 from 0, printed 0..3 having committed 2; p1 took it over at 2.
  const p2 = proc([{ at: 1, took: { 't-1': null } }], [[1, [0, 1, 2, 3]]]);
  const p1 = proc([{ at: 0, took: { 't-0': null } }, { at: 5, took: { 't-1': '2' } }], [[0, [0, 1, 2, 3]], [1, [2, 3]]]);
  assert.equal(check([p1, p2], [p2]), 2);
  // The same output, but the repeats lie before the takeover offset: fails.
  const early = proc([{ at: 0, took: { 't-0': null } }, { at: 5, took: { 't-1': '3' } }], [[0, [0, 1, 2, 3]], [1, [2, 3]]]);
  assert.match(String(check([early, p2], [p2])), /message 1 2 printed 2 times/);
});

test('checkRows: a repeat on a partition handed over between live processes fails, however early the handover (startup balance from null)', () => {
  // p1 held t-0 at startup and handed it to p2 "from null"; the old check accepted any repeat after a takeover from null.
  const p1 = proc([{ at: 0, took: { 't-0': null, 't-1': null } }], [[0, [0, 1]], [1, [0, 1, 2, 3]]]);
  const p2 = proc([{ at: 1, took: { 't-0': null } }], [[0, [1, 2, 3]]]);
  const killed = proc([], []);
  assert.match(String(check([p1, p2, killed], [killed])), /message 0 1 printed 2 times \(by p1, p2\), paired with 0 takeover/);
  // The same repeat is accepted only if the one handing over was the killed process.
  assert.equal(check([p1, p2], [p1]), 1);
});

test('checkRows: a repeat after a chain of takeovers from the killed process passes (a holder in between gave the split on before reading it)', () => {
  // The CI run that made this case: the killed p3 printed row 0 of t-0; p1 took it over at 0 and
  // handed it to p4 (balance) before reading; p4 printed row 0 again.
  const p3 = proc([{ at: 0, took: { 't-0': null } }], [[0, [0]]]);
  const p1 = proc([{ at: 1, took: { 't-0': '0', 't-1': null } }], [[1, [0, 1, 2, 3]]]);
  const p4 = proc([{ at: 2, took: { 't-0': '0' } }], [[0, [0, 1, 2, 3]]]);
  assert.equal(check([p1, p3, p4], [p3]), 1);
  // Without the killed process in the chain (a live p1 printed it and handed it on), it fails.
  const live = proc([{ at: 0, took: { 't-0': null } }, { at: 1, took: { 't-1': null } }], [[0, [0]], [1, [0, 1, 2, 3]]]);
  assert.match(String(check([live, p4], [])), /message 0 0 printed 2 times/);
});

test('checkRows: a stopped process that gets its split back after another held it may print again what it printed uncommitted before the stop', () => {
  // The CI run that made this case (group assignment, SIGSTOP): p2 held t-0 from the start and
  // printed 0..2 without a commit, was stopped and fenced; p1 took t-0 from 0, printed 0 and 1,
  // committed 2; p2, resumed and rejoined, got t-0 back at 2 and printed 2 and 3.
  const p2 = proc([{ at: 0, took: { 't-0': null, 't-1': null } }, { at: 2, took: { 't-0': '2' } }], [[0, [0, 1, 2, 2, 3]], [1, [0, 1, 2, 3]]]);
  const p1 = proc([{ at: 1, took: { 't-0': '0' } }], [[0, [0, 1]]]);
  assert.equal(check([p1, p2], [p2]), 3);
  // Back from itself with no other holder in between, the same repeat fails.
  const alone = proc([{ at: 0, took: { 't-0': null, 't-1': null } }, { at: 2, took: { 't-0': '2' } }], [[0, [0, 1, 2, 2, 3]], [1, [0, 1, 2, 3]]]);
  assert.match(String(check([alone], [alone])), /message 0 2 printed 2 times \(by p1, p1\)/);
});

test('checkRows: a row printed twice by the new holder alone (the killed one never printed it) fails', () => {
  const killed = proc([{ at: 0, took: { 't-0': null, 't-1': null } }], [[0, [0, 1, 2, 3]], [1, [0]]]);
  const p2 = proc([{ at: 1, took: { 't-1': '1' } }], [[1, [1, 2, 2, 3]]]);
  assert.match(String(check([killed, p2], [killed])), /message 1 2 printed 2 times \(by p2, p2\)/);
});

test('checkRows: a missing row fails', () => {
  const p1 = proc([{ at: 0, took: { 't-0': null, 't-1': null } }], [[0, [0, 1, 2, 3]], [1, [0, 1, 3]]]);
  assert.match(String(check([p1], [])), /message 1\/2 is missing/);
});
