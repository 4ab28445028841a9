// The slow consumer of the crash harness: reads its stdin (the read end of the pipe the CLI writes
// to) in small bursts with pauses, sometimes stalling for a while, and copies every byte it got
// to the file named by its first argument, until end of file (every writer gone).
//
//   node slowReader.mjs <out file> <seed> [max burst bytes] [max pause ms]
//
// Plain JavaScript, not TypeScript through tsx: it starts in tens of milliseconds instead of a
// second, once per CLI run. Synchronous reads and sleeps, so that the pace is the seed's and not
// the event loop's: whatever the CLI writes beyond the pipe's 64 KiB waits in the CLI.
import { openSync, readSync, writeSync } from 'node:fs';

const [outPath, seedText = '1', maxBurstText = '8192', maxPauseText = '12'] = process.argv.slice(2);
if (outPath === undefined) throw new Error('usage: slowReader.mjs <out file> <seed> [max burst bytes] [max pause ms]');
const maxBurst = Number(maxBurstText);
const maxPause = Number(maxPauseText);

// mulberry32, as bench/prng.ts (which this plain .mjs cannot import).
let state = Number(seedText) >>> 0;
const next = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const cell = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(cell, 0, 0, ms);

const out = openSync(outPath, 'w');
const buffer = Buffer.alloc(Math.max(1, maxBurst));
for (;;) {
  const want = 1 + Math.floor(next() * maxBurst);
  let n;
  try {
    n = readSync(0, buffer, 0, want, null);
  } catch (err) {
    // A non-blocking descriptor with nothing to read yet.
    if (err.code === 'EAGAIN') {
      sleep(2);
      continue;
    }
    throw err;
  }
  if (n === 0) break;
  writeSync(out, buffer, 0, n);
  // One burst in fifty stalls for 0.3 to 1.2 s: a consumer busy elsewhere.
  sleep(next() < 0.02 ? 300 + next() * 900 : next() * maxPause);
}
