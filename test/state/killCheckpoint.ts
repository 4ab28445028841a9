// What the kill -9 test's writer stores for each epoch, shared by the writer and the checker.
import type { JsonValue } from '../../src/core/Json.js';

/** Splits written by every checkpoint: a torn multi-key write would leave them on mixed epochs. */
export const SPLITS = 100;
/** Epoch entries kept; older ones are deleted after a later epoch is acknowledged. */
export const KEEP_EPOCHS = 3;
/** Large enough that a write takes a while, so that kills land in the middle of writes. */
const PAYLOAD_CHARS = 300_000;

/** A payload whose every character depends on the epoch: a mix of two epochs would show. */
export function payloadFor(epoch: number): string {
  return `<epoch ${epoch}>`.repeat(Math.ceil(PAYLOAD_CHARS / 12)).slice(0, PAYLOAD_CHARS);
}

export function epochValue(epoch: number): JsonValue {
  return { epoch, payload: payloadFor(epoch) };
}

/** One checkpoint, written with a single setMany. */
export function checkpointEntries(epoch: number): Array<readonly [string, JsonValue]> {
  const entries: Array<readonly [string, JsonValue]> = [];
  for (let split = 0; split < SPLITS; split++) entries.push([`s/split/${split}`, { epoch }]);
  entries.push([`s/epoch/${epoch}`, epochValue(epoch)], ['s/last', epoch]);
  return entries;
}
