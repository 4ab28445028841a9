import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Message } from 'kafkajs';

/** One message of a RisingWave test-data file, with the partition the loader puts it in. */
export interface FixtureMessage {
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
}

/**
 * Reads a RisingWave Kafka test-data file as its `kcat -P -K ^` loader would (see SOURCES.md
 * beside the fixtures): the name is `<topic>.<partitions>`; each non-empty line is a message;
 * the bytes before the first `^` are the key (no `^`: no key) and the rest the value (`key^`
 * gives a zero-length value, not a null one). kcat spreads unkeyed lines over partitions at
 * random; this loader uses `line index mod partitions` so every partition is exercised
 * (expectations never depend on the spread). Keyed files here all have one partition.
 */
export function readFixture(path: string): { partitions: number; messages: FixtureMessage[] } {
  const name = basename(path);
  const partitions = Number(name.slice(name.lastIndexOf('.') + 1));
  const caret = 0x5e;
  const messages: FixtureMessage[] = [];
  const bytes = readFileSync(path);
  let start = 0;
  let index = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const at = line.indexOf(caret);
    const key = at === -1 ? null : Buffer.from(line.subarray(0, at));
    const value = Buffer.from(at === -1 ? line : line.subarray(at + 1));
    messages.push({ partition: key === null ? index % partitions : 0, key, value });
    index++;
  }
  return { partitions, messages };
}

/** The messages as kafkajs producer records. */
export function toProducerMessages(messages: readonly FixtureMessage[]): Message[] {
  return messages.map((m) => ({ partition: m.partition, key: m.key, value: m.value }));
}
