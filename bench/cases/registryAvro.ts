import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import type { BenchCase } from '../CaseResult.js';
import { DATA_DIR } from '../datasets.js';
import { LINEITEM_AVRO_SCHEMA, lineItems } from '../lineitem.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/** The registry the case registers its schema with: the `registry` peer unless TRIBUTARY_REGISTRY_URL says otherwise. */
const registryUrl = (): string => process.env.TRIBUTARY_REGISTRY_URL ?? `http://127.0.0.1:${process.env.TRIBUTARY_REGISTRY_PORT ?? '18081'}/apis/ccompat/v7`;

/**
 * `rows` lineitem records in the Confluent wire format (byte 0, the 4-byte schema id, the datum),
 * each framed by its 4-byte big-endian length, as a Kafka fetch would hand over message values.
 * The schema id is a placeholder patched in by the variants (ids differ per registry).
 */
function framedMessages(rows: number): { path: string; bytes: number } {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `lineitem-${rows}.confluent-avro`);
  if (!existsSync(path)) {
    const type = avro.Type.forSchema(LINEITEM_AVRO_SCHEMA as unknown as avro.Schema);
    const next = lineItems(0x7219_2026);
    const parts: Buffer[] = [];
    for (let i = 0; i < rows; i++) {
      const datum = type.toBuffer(next());
      const frame = Buffer.alloc(9);
      frame.writeUInt32BE(datum.length + 5, 0);
      parts.push(frame, datum);
    }
    writeFileSync(`${path}.tmp`, Buffer.concat(parts));
    renameSync(`${path}.tmp`, path);
  }
  return { path, bytes: statSync(path).size };
}

/** Registers the lineitem schema under a bench subject and returns its id. */
async function registerLineitem(url: string): Promise<string> {
  const res = await fetch(`${url}/subjects/tributary-bench-lineitem-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(LINEITEM_AVRO_SCHEMA) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`registering the bench schema at ${url}: ${res.status} ${await res.text()} (start the registry: node scripts/peers.mjs up registry)`);
  return String(((await res.json()) as { id: number }).id);
}

/**
 * Decoding Confluent wire-format Avro messages with writer schemas from a real schema registry
 * (the `registry` peer; fetched once, then cached) against avsc alone with the schema in hand.
 */
export const registryAvro: BenchCase = {
  id: 'registry-avro',
  title: 'Registry Avro decode',
  async run(scale) {
    const url = registryUrl();
    const id = await registerLineitem(url);
    const data = framedMessages(scale.rows);
    return compare(
      {
        id: this.id,
        title: `Registry Avro ${label(scale.rows)} messages`,
        tributary: 'tributary-registry-avro',
        baselines: [{ variant: 'avsc-messages', target: 0.9 }],
      },
      { path: data.path, rows: scale.rows, options: { registry: url, id, subject: 'tributary-bench-lineitem-value' } },
      { path: data.path, rows: scale.rows, bytes: data.bytes },
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};
