import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { registryAnswers } from '../../scripts/peers/registry.mjs';
import { needPeer } from './peers.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How to get a registry, for skip messages. */
export const HOW_TO_START_REGISTRY =
  'schema registry: run `node scripts/peers.mjs up registry` (Apicurio, Java 21+; or set TRIBUTARY_REGISTRY_URL=http://host:port/apis/ccompat/v7)';

let found: Promise<string | undefined> | undefined;

/**
 * The Confluent API base URL tests use: `TRIBUTARY_REGISTRY_URL`, else the `.peers/registry.env`
 * the peer writes, else Apicurio's path on 127.0.0.1:`TRIBUTARY_REGISTRY_PORT` (18081) if it answers.
 */
export function registryUrl(): Promise<string | undefined> {
  found ??= (async () => {
    const candidates: string[] = [];
    if (process.env.TRIBUTARY_REGISTRY_URL) candidates.push(process.env.TRIBUTARY_REGISTRY_URL);
    const envFile = join(projectRoot, '.peers', 'registry.env');
    if (existsSync(envFile)) {
      const match = /^TRIBUTARY_REGISTRY_URL=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
      if (match?.[1]) candidates.push(match[1].trim());
    }
    candidates.push(`http://127.0.0.1:${process.env.TRIBUTARY_REGISTRY_PORT ?? '18081'}/apis/ccompat/v7`);
    for (const url of candidates) if (await registryAnswers(url, 3000)) return url;
    return undefined;
  })();
  return found;
}

/** The registry URL, or `undefined` after skipping the test (failing under TRIBUTARY_REQUIRE_PEERS=1). */
export async function needRegistry(t: TestContext): Promise<string | undefined> {
  const url = await registryUrl();
  return needPeer(t, url !== undefined, HOW_TO_START_REGISTRY) ? url : undefined;
}

/** A subject name no other test (or earlier run) uses. */
export function uniqueSubject(prefix: string): string {
  return `registry-${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Registers `schema` under `subject` through the registry's Confluent API, as a producer's
 * serializer does, and resolves with its id.
 */
export async function registerSchema(url: string, subject: string, schema: unknown, schemaType: 'AVRO' | 'PROTOBUF' = 'AVRO'): Promise<number> {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: text, ...(schemaType === 'AVRO' ? {} : { schemaType }) }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`registering ${subject}: ${res.status} ${body}`);
  return (JSON.parse(body) as { id: number }).id;
}

/** A datum in the Confluent wire format: byte 0, the 4-byte schema id, the encoded datum. */
export function wireFormat(id: number, datum: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  return Buffer.concat([header, datum]);
}
