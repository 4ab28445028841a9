import { intBetween, prng } from './prng.js';

/**
 * One row shaped like TPC-H's `lineitem`, cut to nine columns: four integer keys, a quantity,
 * two decimals, a date and a free-text comment (some with commas and quotes, so CSV quoting is
 * exercised the way real exports exercise it).
 */
export interface LineItem {
  l_orderkey: number;
  l_partkey: number;
  l_suppkey: number;
  l_linenumber: number;
  l_quantity: number;
  l_extendedprice: number;
  l_discount: number;
  l_shipdate: string;
  l_comment: string;
}

/** Column names, in file order. */
export const LINEITEM_COLUMNS: readonly (keyof LineItem)[] = [
  'l_orderkey',
  'l_partkey',
  'l_suppkey',
  'l_linenumber',
  'l_quantity',
  'l_extendedprice',
  'l_discount',
  'l_shipdate',
  'l_comment',
];

/** The Avro writer schema of {@link LineItem}. */
export const LINEITEM_AVRO_SCHEMA = {
  type: 'record',
  name: 'LineItem',
  namespace: 'tributary.bench',
  fields: [
    { name: 'l_orderkey', type: 'long' },
    { name: 'l_partkey', type: 'long' },
    { name: 'l_suppkey', type: 'long' },
    { name: 'l_linenumber', type: 'int' },
    { name: 'l_quantity', type: 'int' },
    { name: 'l_extendedprice', type: 'double' },
    { name: 'l_discount', type: 'double' },
    { name: 'l_shipdate', type: 'string' },
    { name: 'l_comment', type: 'string' },
  ],
} as const;

// TPC-H's comment grammar draws from a small vocabulary; this keeps its flavour and length.
const WORDS = (
  'furiously carefully quickly slyly blithely ironic final regular express special pending bold ' +
  'even silent unusual idle busy ruthless deposits requests accounts packages pinto beans foxes ' +
  'theodolites instructions dependencies excuses platelets asymptotes courts dolphins multipliers ' +
  'sauternes warthogs frets dinos attainments somas tithes waters sheaves braids hockey players ' +
  'sleep wake are cajole haggle nag use boost affix detect integrate maintain nod was lose sublate'
).split(' ');

const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(1992, 0, 1);
const DATES: string[] = [];
for (let d = 0; d < 2557; d++) DATES.push(new Date(FIRST_DAY + d * DAY_MS).toISOString().slice(0, 10));

/**
 * An endless, deterministic sequence of line items: the same seed gives the same rows.
 * Order keys grow like TPC-H's (1–7 lines an order).
 */
export function lineItems(seed: number): () => LineItem {
  const next = prng(seed);
  let orderkey = 1;
  let linesLeft = intBetween(next, 1, 7);
  let linenumber = 0;
  return () => {
    if (linesLeft === 0) {
      orderkey += intBetween(next, 1, 4);
      linesLeft = intBetween(next, 1, 7);
      linenumber = 0;
    }
    linesLeft--;
    linenumber++;
    const quantity = intBetween(next, 1, 50);
    const partkey = intBetween(next, 1, 200_000);
    const price = Math.round(quantity * (900 + (partkey % 1000) + next() * 100) * 100) / 100;
    let comment = '';
    const words = intBetween(next, 2, 6);
    for (let w = 0; w < words; w++) {
      if (w > 0) comment += next() < 0.05 ? ', ' : ' ';
      comment += WORDS[intBetween(next, 0, WORDS.length - 1)];
    }
    if (next() < 0.01) comment += ' "ironic"';
    return {
      l_orderkey: orderkey,
      l_partkey: partkey,
      l_suppkey: intBetween(next, 1, 10_000),
      l_linenumber: linenumber,
      l_quantity: quantity,
      l_extendedprice: price,
      l_discount: intBetween(next, 0, 10) / 100,
      l_shipdate: DATES[intBetween(next, 0, DATES.length - 1)] ?? '1992-01-01',
      l_comment: comment,
    };
  };
}

/** The CSV header line (with its newline). */
export const LINEITEM_CSV_HEADER = LINEITEM_COLUMNS.join(',') + '\n';

/** One CSV line (with its newline), quoting the comment when it needs it (RFC 4180). */
export function lineItemCsv(r: LineItem): string {
  const c = r.l_comment;
  const comment = c.includes(',') || c.includes('"') ? `"${c.replaceAll('"', '""')}"` : c;
  return (
    `${r.l_orderkey},${r.l_partkey},${r.l_suppkey},${r.l_linenumber},${r.l_quantity},` +
    `${r.l_extendedprice.toFixed(2)},${r.l_discount.toFixed(2)},${r.l_shipdate},${comment}\n`
  );
}

/** One NDJSON line (with its newline). */
export function lineItemJson(r: LineItem): string {
  return JSON.stringify(r) + '\n';
}
