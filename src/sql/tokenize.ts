import { SqlSyntaxError, type SqlPosition } from './SqlError.js';

/**
 * One lexical token of a SQL text.
 * - `word`: an unquoted identifier or keyword; `value` is folded to lower case, as PostgreSQL does.
 * - `quoted`: a `"double quoted"` identifier; `value` keeps its case and is never a keyword.
 * - `string`: a `'single quoted'` literal, `''` unescaped.
 * - `number`: a numeric literal as written (`42`, `3.14`, `1e6`).
 * - `op`: punctuation or an operator (`(`, `,`, `<=`, `||`, `::` ...).
 * - `eof`: the end of the text.
 */
export interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'op' | 'eof';
  readonly value: string;
  /** The text as written, for error messages. */
  readonly text: string;
  readonly position: SqlPosition;
}

// Sticky (`y`): matched at `lastIndex` in the whole text, without slicing it for every token.
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;

const OPERATORS = ['<>', '!=', '<=', '>=', '||', '::', '(', ')', '[', ']', ',', ';', '.', '*', '+', '-', '/', '%', '=', '<', '>'];

/**
 * Splits SQL text into tokens, tracking line and column for every one. `--` line comments and
 * (nested) `/* *\/` block comments are skipped; a byte order mark at the start is ignored
 * (columns count from after it).
 *
 * Error messages never quote the text of a string literal or a run of characters (a secret may
 * be written there): at most the one character that cannot start a token.
 *
 * @example
 * tokenize("select 'a' -- note").map((t) => t.kind) // ['word', 'string', 'eof']
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  scan(text, tokens);
  return tokens;
}

/**
 * The tokens before the first lexical error (all of them, `eof` included, when there is none):
 * what the secret scan of a text that does not tokenize can still look at.
 */
export function tokenizePrefix(text: string): Token[] {
  const tokens: Token[] = [];
  try {
    scan(text, tokens);
  } catch {
    // The tokens before the error are what the caller wants.
  }
  return tokens;
}

/** Appends the tokens of `text` to `tokens`; throws at the first lexical error. */
function scan(text: string, tokens: Token[]): void {
  // U+FEFF at the start is a byte order mark some editors write, not part of the SQL.
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = index;
  const here = (): SqlPosition => ({ line, column: index - lineStart + 1, index });
  const advance = (to: number): void => {
    for (let i = index; i < to; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    index = to;
  };

  while (index < text.length) {
    const c = text[index]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      advance(index + 1);
      continue;
    }
    if (c === '-' && text[index + 1] === '-') {
      const end = text.indexOf('\n', index);
      advance(end === -1 ? text.length : end);
      continue;
    }
    if (c === '/' && text[index + 1] === '*') {
      const start = here();
      let depth = 0;
      let i = index;
      while (i < text.length) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      if (depth !== 0) throw new SqlSyntaxError('unterminated /* comment', start);
      advance(i);
      continue;
    }
    const position = here();
    if (c === "'" || c === '"') {
      const [value, next] = readQuoted(text, index, c, position);
      if (c === '"' && value === '') throw new SqlSyntaxError('zero-length quoted identifier', position);
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', value, text: text.slice(index, next), position });
      advance(next);
      continue;
    }
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(text);
    if (number !== null) {
      const end = index + number[0].length;
      if (end < text.length && /[A-Za-z_]/.test(text[end]!)) {
        // Not quoted: `password = 123abc` would print the start of a secret.
        throw new SqlSyntaxError('invalid number: a letter follows its digits directly', position);
      }
      tokens.push({ kind: 'number', value: number[0], text: number[0], position });
      advance(end);
      continue;
    }
    WORD.lastIndex = index;
    if (WORD.test(text)) {
      const i = WORD.lastIndex;
      const word = text.slice(index, i);
      tokens.push({ kind: 'word', value: word.toLowerCase(), text: word, position });
      advance(i);
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, index));
    if (op === undefined) throw new SqlSyntaxError(`unexpected character "${c}"`, position);
    tokens.push({ kind: 'op', value: op, text: op, position });
    advance(index + op.length);
  }
  tokens.push({ kind: 'eof', value: '', text: 'end of input', position: here() });
}

/**
 * Reads a `'string'` or `"identifier"` starting at `start` (a doubled quote stands for one);
 * returns its value and the index after the closing quote.
 */
function readQuoted(text: string, start: number, quote: string, position: SqlPosition): [string, number] {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) {
      throw new SqlSyntaxError(quote === "'" ? 'unterminated string literal' : 'unterminated quoted identifier', position);
    }
    const ch = text[i]!;
    if (ch === quote) {
      if (text[i + 1] !== quote) return [value, i + 1];
      i++;
    }
    value += ch;
    i++;
  }
}
