// One run of one variant in a fresh process: `node --import tsx bench/child.ts '<json>'`.
// Prints one line `BENCH_RESULT <json>` on stdout. Timing starts after the variant's modules are
// loaded (tsx compiles them once; that cost is not the library's), and peak RSS is this process's.
import { performance } from 'node:perf_hooks';
import type { VariantArgs } from './Variant.js';
import { VARIANTS } from './variants/index.js';

/** The line the parent parses. */
export type ChildReport =
  | { readonly status: 'ok'; readonly rows: number; readonly ms: number; readonly firstRowMs?: number; readonly maxRssKB: number; readonly detail?: Readonly<Record<string, number>> }
  | { readonly status: 'unavailable'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

function report(result: ChildReport): never {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  // Kafka clients and timers may hold the loop open; the measurement is done.
  process.exit(0);
}

const spec = JSON.parse(process.argv[2] ?? '{}') as { variant?: string; args?: VariantArgs };
const load = spec.variant === undefined ? undefined : VARIANTS[spec.variant];
if (load === undefined || spec.args === undefined) {
  report({ status: 'failed', reason: `unknown variant ${String(spec.variant)}` });
}
let variant;
try {
  variant = await load();
} catch (err) {
  report({ status: 'unavailable', reason: err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err) });
}
// Loading compiles every module through tsx, and the garbage that leaves (some tens of MB for
// tributary's modules, little for a baseline's one library) made the first full collection fall
// inside the clock: 27 ms of a 100k-line NDJSON scan's ~270. Collected here, on both sides, so
// each side's time is its own work; a built package would not leave that garbage at all.
(globalThis as { gc?: () => void }).gc?.();
try {
  const started = performance.now();
  const result = await variant(spec.args);
  const ms = result.ms ?? performance.now() - started;
  report({ status: 'ok', rows: result.rows, ms, ...(result.firstRowMs !== undefined ? { firstRowMs: result.firstRowMs } : {}), maxRssKB: process.resourceUsage().maxRSS, ...(result.detail !== undefined ? { detail: result.detail } : {}) });
} catch (err) {
  report({ status: 'failed', reason: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
