import { SQL_TYPE_ALIASES } from './SqlType.js';
import { tokenizePrefix, type Token } from './tokenize.js';

/**
 * Property names that hold a secret when no connector declares them otherwise: a misspelt
 * `properties.sasl.pasword`, or a connector that is not known yet, still keeps its value out of
 * messages. `key` counts as a word of its own (`access_key`, `ssl.key.password`), not inside
 * one (TPC-H's `p_partkey`).
 */
export const SECRET_KEY_PATTERN = /password|secret|token|credential|sasl|(?:^|[._-])key(?:$|[._-])/i;

/** Decides whether a property name (as written, dotted) holds a secret. */
export type IsSecretKey = (key: string) => boolean;

/** The default {@link IsSecretKey}: {@link SECRET_KEY_PATTERN}. */
export const looksSecret: IsSecretKey = (key) => SECRET_KEY_PATTERN.test(key);

/** How many tokens after a secret name are taken as its value (`'a' 'b'` is a mistake, but secret). */
const MAX_VALUE_TOKENS = 4;

/** Words that end a value: what follows a column of a secret-like name in a query (types end it too). */
const KEYWORDS = new Set(['select', 'from', 'where', 'with', 'format', 'row', 'encode', 'create', 'source', 'and', 'or', 'not', 'is', 'in', 'like', 'ilike', 'between', 'as', 'limit', 'case', 'when', 'then', 'else', 'end']);

/** Values shorter than this are not redacted: they would blank out ordinary words of messages. */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Every value written after a secret property name in `sql`, wherever it stands: after `=` or
 * not, quoted or not, in WITH, ENCODE or anywhere else, up to the next `,`, `)` or `;`. Works on
 * text that does not parse, and on the tokens before a lexical error in text that does not
 * tokenize, so that it can redact the error messages of statements that were never understood.
 *
 * @example
 * findSecretValues(`with (properties.sasl.password 'hunter22')`) // ['hunter22']
 */
export function findSecretValues(sql: string, isSecretKey: IsSecretKey = looksSecret): string[] {
  const tokens = tokenizePrefix(sql);
  const found = new Set<string>();
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (!isName(token)) {
      i++;
      continue;
    }
    // The dotted name starting here: properties.sasl.password is five tokens.
    let key = token.value;
    let j = i + 1;
    if (token.kind !== 'string') {
      while (isOp(tokens[j], '.') && tokens[j + 1] !== undefined && (tokens[j + 1]!.kind === 'word' || tokens[j + 1]!.kind === 'quoted')) {
        key += `.${tokens[j + 1]!.value}`;
        j += 2;
      }
    }
    // `token > 1` in a query: an operator after the name (other than `=` or a sign) starts no value.
    const startsValue = isOp(tokens[j], '=') || isOp(tokens[j], '-') || tokens[j]?.kind !== 'op';
    if (isSecretKey(key) && startsValue) {
      if (isOp(tokens[j], '=')) j++;
      const first = j;
      for (let taken = 0; taken < MAX_VALUE_TOKENS && j < tokens.length; taken++, j++) {
        const value = tokens[j]!;
        if (value.kind === 'eof' || isOp(value, ',') || isOp(value, ')') || isOp(value, ';')) break;
        // A column named `token` in a query is followed by keywords, not by its value.
        if (value.kind === 'word' && (KEYWORDS.has(value.value) || Object.hasOwn(SQL_TYPE_ALIASES, value.value))) break;
        if (value.kind !== 'op') found.add(value.value);
        if (value.kind === 'word') found.add(value.text); // as written; `value` is lower case
      }
      // An unquoted `abc-def` is three tokens: the text they span is the secret.
      if (j - first > 1) {
        const last = tokens[j - 1]!;
        found.add(sql.slice(tokens[first]!.position.index, last.position.index + last.text.length));
      }
    }
    i = j;
  }
  return [...found];
}

/**
 * `text` with every secret of at least {@link MIN_REDACTED_LENGTH} characters replaced by
 * `***`, longest first (so that a secret containing another goes whole).
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  const list = [...secrets].filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of list) out = out.replaceAll(secret, '***');
  // A long value is quoted cut short (`quoted` in SqlError.ts): the cut may end inside a secret.
  if (out.includes('…')) {
    for (const secret of list) {
      for (let k = Math.min(secret.length - 1, 1000); k >= MIN_REDACTED_LENGTH; k--) out = out.replaceAll(`${secret.slice(0, k)}…`, '***…');
    }
  }
  return out;
}

/** Redacts an error's message (and stack) in place and returns it, for `throw redactError(...)`. */
export function redactError(err: unknown, secrets: Iterable<string>): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactSecrets(err, secrets) : err;
  const list = [...secrets];
  err.message = redactSecrets(err.message, list);
  if (typeof err.stack === 'string') err.stack = redactSecrets(err.stack, list);
  return err;
}

function isName(token: Token): boolean {
  return token.kind === 'word' || token.kind === 'quoted' || token.kind === 'string';
}

function isOp(token: Token | undefined, op: string): boolean {
  return token !== undefined && token.kind === 'op' && token.value === op;
}
