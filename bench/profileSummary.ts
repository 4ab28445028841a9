// `node --import tsx bench/profileSummary.ts <file.cpuprofile> [top]`: the hottest functions of a
// V8 CPU profile by self time, with the file and line they live in.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Self time per function (µs), highest first. */
export function hottest(profile: CpuProfile): Array<{ name: string; where: string; selfUs: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // A sample's time is the delta to the next one.
    self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const total = profile.endTime - profile.startTime;
  const merged = new Map<string, { name: string; where: string; selfUs: number }>();
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName || '(anonymous)';
    let url = frame.url;
    if (url.startsWith('file://')) url = relative(process.cwd(), fileURLToPath(url));
    // tsx's transform puts a module on few lines, so line numbers of .ts files say little.
    const where = url === '' ? '' : frame.lineNumber > 0 && !url.endsWith('.ts') ? `${url}:${frame.lineNumber + 1}` : url;
    const key = `${name} ${where}`;
    const entry = merged.get(key) ?? { name, where, selfUs: 0 };
    entry.selfUs += us;
    merged.set(key, entry);
  }
  return [...merged.values()].sort((a, b) => b.selfUs - a.selfUs).map((e) => ({ ...e, share: e.selfUs / total }));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx bench/profileSummary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const top = Number.parseInt(process.argv[3] ?? '25', 10);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  for (const e of hottest(profile).slice(0, top)) {
    process.stdout.write(`${(e.share * 100).toFixed(1).padStart(5)}%  ${(e.selfUs / 1000).toFixed(1).padStart(8)} ms  ${e.name}  ${e.where}\n`);
  }
}
