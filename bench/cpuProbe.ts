import { performance } from 'node:perf_hooks';
import { median } from './runner.js';

/** Iterations of the probe's loop: ~15-30 ms a run on this project's machine. */
const ITERATIONS = 20_000_000;

/**
 * How fast the machine runs plain JavaScript right now: the median of five runs of a fixed
 * integer loop, in ms (lower is faster). A shared machine's speed changes by up to two within an
 * hour (other guests' load, which the load average does not show), and some ratios move with it;
 * probed in the bench's own process (idle between cases) before and after each case, it puts the
 * machine's speed in the results beside the ratios measured at that speed.
 */
export function cpuProbeMs(): number {
  const times: number[] = [];
  let sink = 0;
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    let x = 0;
    for (let i = 0; i < ITERATIONS; i++) x = (x + (i & 7)) | 0;
    times.push(performance.now() - started);
    sink ^= x;
  }
  // The loop's result is used, so no compiler may drop the loop.
  if (sink === 0x7fff_ffff) process.stderr.write('');
  return median(times);
}
