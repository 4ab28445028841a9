// `npm run bench`: every case, baseline and tributary alternately, then a table and
// bench/results.json. `BENCH_QUICK=1` runs the same cases on a tenth of the data.
// `BENCH_CASES=csv-scan,avro-scan` runs only those; `BENCH_RUNS=n` sets the rounds;
// `BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=bench/data/profiles'` profiles every run.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_CASES } from './cases/index.js';
import type { CaseResult } from './CaseResult.js';
import { cpuProbeMs } from './cpuProbe.js';
import { formatRemarks, formatTable } from './report.js';
import { scaleFromEnv } from './Scale.js';

const scale = scaleFromEnv();
const only = process.env.BENCH_CASES?.split(',').map((s) => s.trim()).filter((s) => s !== '');
const unknown = only?.filter((id) => !ALL_CASES.some((c) => c.id === id)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown case ${unknown.join(', ')}; cases: ${ALL_CASES.map((c) => c.id).join(', ')}\n`);
  process.exit(2);
}
const cases = only === undefined ? ALL_CASES : ALL_CASES.filter((c) => only.includes(c.id));
const startedAt = new Date();
const loadBefore = loadavg();
process.stderr.write(
  `bench: ${scale.quick ? 'QUICK (a tenth of the data)' : 'full'} run, ${scale.runs} alternating runs per variant, ` +
    `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`,
);

const results: CaseResult[] = [];
for (const c of cases) {
  const probeBefore = cpuProbeMs();
  const t = performance.now();
  process.stderr.write(`bench: ${c.id} `);
  let result: CaseResult;
  try {
    result = await c.run(scale);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    result = { id: c.id, title: c.title, variants: [], rows: [{ case: c.title, baseline: '—', target: '', status: `failed: ${reason}` }] };
  }
  const seconds = (performance.now() - t) / 1000;
  const probeAfter = cpuProbeMs();
  results.push({ ...result, cpuProbeMs: [probeBefore, probeAfter] });
  process.stderr.write(` ${seconds.toFixed(1)} s (CPU probe ${probeBefore.toFixed(0)} / ${probeAfter.toFixed(0)} ms)\n`);
}
const probes = results.flatMap((r) => r.cpuProbeMs ?? []);

const table = formatTable(results);
process.stdout.write(`\n${table}\n\n`);
const remarks = formatRemarks(results);
if (remarks !== '') process.stdout.write(`${remarks}\n\n`);
const loadAfter = loadavg();
if (Math.max(...loadBefore, ...loadAfter) > cpus().length * 0.5) {
  process.stdout.write(
    `note: the machine was busy (load average up to ${Math.max(...loadBefore, ...loadAfter).toFixed(2)} on ${cpus().length} cores): ` +
      'absolute rows/s are noisy; ratios come from alternating runs and hold up better.\n',
  );
}
if (probes.length > 0) {
  process.stdout.write(
    `CPU probe (a fixed loop, before and after each case; lower is faster): ${Math.min(...probes).toFixed(0)}-${Math.max(...probes).toFixed(0)} ms` +
      ' in this run; a case whose probes differ ran while the machine changed speed.\n',
  );
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
writeFileSync(
  out,
  JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: scale.quick,
      scale,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverage: { before: loadBefore, after: loadAfter },
      ...(probes.length > 0 ? { cpuProbeMs: { min: Math.min(...probes), max: Math.max(...probes) } } : {}),
      cases: results,
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`results written to ${out}\n`);
