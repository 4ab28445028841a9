import type { JsonValue } from '../core/Json.js';
import type { Row } from '../formats/Format.js';
import type { AggregatePlan, CompiledAggregate } from './compileQuery.js';
import { Decimal } from './Decimal.js';
import { SortedMultiset } from './SortedMultiset.js';
import { decodeValue, encodeValue } from './stateCodec.js';

/**
 * The most groups (or kept result rows) a query holds by default: state lives in memory and is
 * checkpointed whole at every barrier, so it is bounded, and going past the bound fails the
 * query naming it rather than dropping state.
 */
export const DEFAULT_MAX_RESULT_ROWS = 1_000_000;

/** How a sum or average adds: exact integers (bigint), exact decimals, or doubles. */
type SumKind = 'bigint' | 'decimal' | 'float';

/** One aggregate's running state in one group. */
type Accumulator =
  | { kind: 'count'; n: number }
  | { kind: 'sum'; n: number; sum: bigint | Decimal | number }
  | { kind: 'minmax'; values: SortedMultiset };

interface Group {
  readonly keys: readonly unknown[];
  /** Rows in the group now (inserts minus retractions): the group exists while it is above 0. */
  rows: number;
  readonly accumulators: Accumulator[];
}

/**
 * The per-group state of an aggregate query, maintained incrementally: an inserted row adds to
 * its group's accumulators, a retracted row (delete, update before-image) subtracts from them;
 * nothing is ever recomputed from the rows, which are not kept.
 *
 * - `count(*)`, `count(x)`: counters (x non-null only);
 * - `sum(x)`, `avg(x)`: the sum and the count of non-null values; integer sums are exact
 *   bigints, NUMERIC sums exact decimals, REAL/DOUBLE sums doubles (a retraction subtracts, so
 *   a double sum may drift by rounding; it is reset to exactly 0 when its count returns to 0);
 * - `min(x)`, `max(x)`: a {@link SortedMultiset} of the group's values, so deleting the current
 *   minimum reveals the next one.
 *
 * A group whose row count returns to 0 disappears (its result row is deleted). A retraction of
 * a row the state never counted (a count going negative, a min/max value not present) is an
 * error: the input is not a consistent changelog.
 *
 * Without GROUP BY there is one group, present even when empty (`count(*)` = 0), as in SQL.
 */
export class AggregateState {
  private readonly groups = new Map<string, Group>();
  private readonly kinds: readonly (SumKind | undefined)[];

  constructor(
    private readonly plan: AggregatePlan,
    /** Groups kept at most; one more fails (see {@link DEFAULT_MAX_RESULT_ROWS}). */
    private readonly maxGroups = DEFAULT_MAX_RESULT_ROWS,
  ) {
    this.kinds = plan.aggregates.map(sumKind);
    if (plan.groupBy.length === 0) this.groups.set(groupKey([]), this.newGroup([]));
  }

  /** Number of groups (state size). */
  get size(): number {
    return this.groups.size;
  }

  /** The group key of an input row, as a Map key. */
  keyOf(row: Row): { key: string; keys: unknown[] } {
    const keys = this.plan.groupBy.map((f) => f(row));
    return { key: groupKey(keys), keys };
  }

  /** The current output row of a group, or undefined when the group does not exist. */
  output(key: string): Row | undefined {
    const group = this.groups.get(key);
    if (group === undefined || (group.rows === 0 && this.plan.groupBy.length > 0)) return undefined;
    return this.plan.output(group.keys, group.accumulators.map((a, i) => this.value(a, i, group)));
  }

  /** Every current output row, by group key. */
  *outputs(): IterableIterator<[string, Row]> {
    for (const key of this.groups.keys()) {
      const row = this.output(key);
      if (row !== undefined) yield [key, row];
    }
  }

  /** Adds (`sign` 1) or retracts (`sign` -1) one input row. */
  apply(row: Row, sign: 1 | -1, key: string, keys: readonly unknown[]): void {
    let group = this.groups.get(key);
    if (group === undefined) {
      if (sign < 0) throw new Error('a retraction for a group that has no rows (the input is not a consistent changelog)');
      if (this.groups.size >= this.maxGroups) {
        throw new Error(`more than ${this.maxGroups} groups: the query's state lives in memory and is not dropped; raise maxResultRows or group more coarsely`);
      }
      group = this.newGroup(keys);
      this.groups.set(key, group);
    }
    if (group.rows + sign < 0) throw new Error('a retraction of a row that was never added (the input is not a consistent changelog)');
    group.rows += sign;
    const { aggregates } = this.plan;
    for (let i = 0; i < aggregates.length; i++) {
      const aggregate = aggregates[i]!;
      const acc = group.accumulators[i]!;
      if (aggregate.argument === undefined) continue; // count(*): the group's row count
      const v = aggregate.argument(row);
      if (v === null || v === undefined) continue;
      switch (acc.kind) {
        case 'count':
          acc.n += sign;
          break;
        case 'sum':
          acc.n += sign;
          acc.sum = add(acc.sum, v, sign, this.kinds[i]!);
          if (acc.n === 0) acc.sum = zero(this.kinds[i]!);
          break;
        case 'minmax':
          if (sign > 0) acc.values.add(v);
          else if (!acc.values.remove(v)) throw new Error(`a retraction of ${aggregate.fn}() value that was never added (the input is not a consistent changelog)`);
          break;
      }
    }
    if (group.rows === 0 && this.plan.groupBy.length > 0) this.groups.delete(key);
  }

  /** The state as JSON, for a checkpoint. */
  snapshot(): JsonValue {
    return [...this.groups.values()].map((g) => ({
      keys: encodeValue(g.keys),
      rows: g.rows,
      accumulators: g.accumulators.map((a): JsonValue => {
        switch (a.kind) {
          case 'count':
            return { n: a.n };
          case 'sum':
            return { n: a.n, sum: encodeValue(a.sum) };
          case 'minmax':
            return { values: a.values.entries().map(([v, c]) => [encodeValue(v), c]) };
        }
      }),
    }));
  }

  /** Replaces the state with a {@link snapshot}. */
  restore(json: JsonValue): void {
    if (!Array.isArray(json)) throw new TypeError('corrupt aggregate state: not a list of groups');
    this.groups.clear();
    for (const entry of json) {
      const g = entry as { keys: JsonValue; rows: number; accumulators: JsonValue[] };
      const keys = decodeValue(g.keys) as unknown[];
      const group = this.newGroup(keys);
      group.rows = g.rows;
      g.accumulators.forEach((raw, i) => {
        const acc = group.accumulators[i]!;
        const a = raw as { n?: number; sum?: JsonValue; values?: [JsonValue, number][] };
        if (acc.kind === 'count') acc.n = a.n ?? 0;
        else if (acc.kind === 'sum') {
          acc.n = a.n ?? 0;
          acc.sum = decodeValue(a.sum ?? null) as bigint | Decimal | number;
        } else for (const [v, c] of a.values ?? []) acc.values.add(decodeValue(v), c);
      });
      this.groups.set(groupKey(keys), group);
    }
  }

  private newGroup(keys: readonly unknown[]): Group {
    return {
      keys,
      rows: 0,
      accumulators: this.plan.aggregates.map((a, i): Accumulator => {
        if (a.fn === 'min' || a.fn === 'max') return { kind: 'minmax', values: new SortedMultiset() };
        if (a.fn === 'sum' || a.fn === 'avg') return { kind: 'sum', n: 0, sum: zero(this.kinds[i]!) };
        return { kind: 'count', n: 0 };
      }),
    };
  }

  private value(acc: Accumulator, i: number, group: Group): unknown {
    const aggregate = this.plan.aggregates[i]!;
    switch (acc.kind) {
      case 'count':
        return BigInt(aggregate.argument === undefined ? group.rows : acc.n);
      case 'minmax':
        return aggregate.fn === 'min' ? acc.values.min() : acc.values.max();
      case 'sum': {
        if (acc.n === 0) return null;
        const kind = this.kinds[i]!;
        if (aggregate.fn === 'sum') return aggregate.type === 'numeric' && kind === 'bigint' ? Decimal.from(acc.sum as bigint) : acc.sum;
        if (kind === 'float') return (acc.sum as number) / acc.n;
        return Decimal.from(acc.sum as bigint | Decimal).div(Decimal.from(acc.n));
      }
    }
  }
}

/** The Map key of a group: its key values, encoded so that 1n and '1' stay apart. */
export function groupKey(keys: readonly unknown[]): string {
  return JSON.stringify(encodeValue(keys));
}

function sumKind(aggregate: CompiledAggregate): SumKind | undefined {
  if (aggregate.fn !== 'sum' && aggregate.fn !== 'avg') return undefined;
  switch (aggregate.argumentType) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'bigint';
    case 'numeric':
      return 'decimal';
    default:
      return 'float';
  }
}

function zero(kind: SumKind): bigint | Decimal | number {
  return kind === 'bigint' ? 0n : kind === 'decimal' ? Decimal.from(0) : 0;
}

function add(sum: bigint | Decimal | number, value: unknown, sign: 1 | -1, kind: SumKind): bigint | Decimal | number {
  switch (kind) {
    case 'bigint': {
      const v = typeof value === 'bigint' ? value : BigInt(value as number);
      return sign > 0 ? (sum as bigint) + v : (sum as bigint) - v;
    }
    case 'decimal': {
      const v = Decimal.from(value as Decimal);
      return sign > 0 ? (sum as Decimal).add(v) : (sum as Decimal).sub(v);
    }
    case 'float': {
      const v = value instanceof Decimal ? value.toNumber() : Number(value);
      if (Number.isNaN(v) && typeof value !== 'number') throw new Error(`sum/avg of a value that is not a number: ${String(value)}`);
      return sign > 0 ? (sum as number) + v : (sum as number) - v;
    }
  }
}
