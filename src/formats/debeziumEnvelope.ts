import { truncation, withOp } from '../core/Changelog.js';
import type { Row } from './Format.js';

/** What Debezium writes for a column whose value it did not capture (an unchanged TOASTed column). */
export const DEBEZIUM_UNAVAILABLE = '__debezium_unavailable_value';

/**
 * The rows of one Debezium change event, whatever its encoding: `op` and a function giving the
 * converted `before` or `after` image from `context` (`null` when the event has none; a plain
 * function and its context, so that no closure is made per message). The rules of
 * `debezium_json` and `debezium_avro`:
 *
 * - `c` (create) and `r` (snapshot read): `after` as an `insert`;
 * - `u`: `before` as `update_before` (when the connector sent it) then `after` as `update_after`;
 * - `d`: `before` as a `delete` (a delete without `before` is a bad record: the key is unknown);
 * - `m` (a logical decoding message): no row;
 * - `t` (truncate, sent when the connector's `skipped.operations` lets it): one `truncation()`
 *   row, which a table applies to every row it keeps (see Changelog.ts);
 * - anything else is not a change event.
 *
 * @example
 * debeziumEnvelopeRows('u', (images, name) => images[name], { before, after }); // [before as update_before, after as update_after]
 */
export function debeziumEnvelopeRows<C>(op: unknown, image: (context: C, name: 'before' | 'after') => Row | null, context: C): Row[] {
  switch (op) {
    case 'c':
    case 'r': {
      const after = image(context, 'after');
      if (after === null) throw new Error(`a Debezium '${op}' event without an 'after' image`);
      return [withOp(after, 'insert')];
    }
    case 'u': {
      const after = image(context, 'after');
      if (after === null) throw new Error(`a Debezium 'u' event without an 'after' image`);
      const before = image(context, 'before');
      return before === null ? [withOp(after, 'update_after')] : [withOp(before, 'update_before'), withOp(after, 'update_after')];
    }
    case 'd': {
      const before = image(context, 'before');
      if (before === null) throw new Error(`a Debezium 'd' event without a 'before' image: the deleted key is unknown`);
      return [withOp(before, 'delete')];
    }
    case 'm':
      return [];
    case 't':
      return [truncation()];
    default:
      throw new Error(`not a Debezium change event: op is ${JSON.stringify(op) ?? 'missing'}, expected c, r, u or d`);
  }
}

/** Whether `value` is Debezium's placeholder for an uncaptured value: the text, alone in an array for an array column. */
export function isUnavailableText(value: unknown): boolean {
  return value === DEBEZIUM_UNAVAILABLE || (Array.isArray(value) && value.length === 1 && value[0] === DEBEZIUM_UNAVAILABLE);
}
