// Writes examples/data/part/part.csv: 200 rows of the TPC-H `part` table, generated
// deterministically (a seeded PRNG) after the TPC-H specification's rules for each column
// (section 4.2.3). Not dbgen's exact output, same shapes and value domains.
//
// Run: npx tsx examples/generate-part.ts [rows] [output file]
// (the bench writes its 1M-row `part` for the CLI case this way).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../bench/prng.js';

const ROWS = process.argv[2] === undefined ? 200 : Number.parseInt(process.argv[2], 10);

/** The 92 colour words P_NAME draws from (TPC-H 4.2.3). */
const COLORS = (
  'almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished chartreuse ' +
  'chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick floral forest ' +
  'frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn lemon light ' +
  'lime linen magenta maroon medium metallic midnight mint misty moccasin navajo navy olive orange orchid pale ' +
  'papaya peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy seashell sienna sky ' +
  'slate smoke snow spring steel tan thistle tomato turquoise violet wheat white yellow'
).split(' ');
const TYPE_1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
const TYPE_2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
const TYPE_3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
const CONTAINER_1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
const CONTAINER_2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
/** Words for P_COMMENT, standing in for the spec's text grammar. */
const COMMENT_WORDS = (
  'furiously quickly carefully slyly blithely final regular special express pending ironic bold even silent ' +
  'deposits packages requests accounts foxes ideas theodolites pinto beans instructions dependencies sleep ' +
  'wake haggle nag use cajole detect integrate boost among above along across'
).split(' ');

const random = prng(19920401);
const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const pick = <T>(items: readonly T[]): T => items[between(0, items.length - 1)]!;

function name(): string {
  const words = new Set<string>();
  while (words.size < 5) words.add(pick(COLORS));
  return [...words].join(' ');
}

function comment(): string {
  const length = between(5, 22);
  let text = pick(COMMENT_WORDS);
  while (text.length < length) text += ` ${pick(COMMENT_WORDS)}`;
  return text.slice(0, length).trimEnd();
}

/** TPC-H 4.2.3: P_RETAILPRICE = (90000 + ((P_PARTKEY/10) modulo 20001) + 100 * (P_PARTKEY modulo 1000)) / 100. */
function retailPrice(partkey: number): string {
  const cents = 90000 + (Math.floor(partkey / 10) % 20001) + 100 * (partkey % 1000);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const out = process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), 'data', 'part', 'part.csv');
mkdirSync(dirname(out), { recursive: true });
const fd = openSync(out, 'w');
const lines = ['p_partkey,p_name,p_mfgr,p_brand,p_type,p_size,p_container,p_retailprice,p_comment'];
for (let partkey = 1; partkey <= ROWS; partkey++) {
  const m = between(1, 5);
  const row = [
    partkey,
    name(),
    `Manufacturer#${m}`,
    `Brand#${m}${between(1, 5)}`,
    `${pick(TYPE_1)} ${pick(TYPE_2)} ${pick(TYPE_3)}`,
    between(1, 50),
    `${pick(CONTAINER_1)} ${pick(CONTAINER_2)}`,
    retailPrice(partkey),
    comment(),
  ];
  lines.push(row.map(csvField).join(','));
  // Written in blocks: a million rows as one string would be a few hundred MB of heap.
  if (lines.length >= 10_000) {
    writeSync(fd, `${lines.join('\n')}\n`);
    lines.length = 0;
  }
}
writeSync(fd, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
closeSync(fd);
console.log(`wrote ${ROWS} rows to ${out}`);
