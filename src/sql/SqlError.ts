/** Where in a SQL text something is: 1-based line and column. */
export interface SqlPosition {
  readonly line: number;
  readonly column: number;
  /** 0-based character index into the text. */
  readonly index: number;
}

/**
 * A statement that cannot run: a syntax error (with its line and column), an unknown source, a
 * property a connector does not understand, a missing required property. The CLI exits with
 * code 2 on these, as for a usage error: the input is wrong, not the run.
 *
 * Messages never contain the value of a secret property.
 */
export class SqlError extends Error {
  /** Where the problem is, when it is tied to a place in the text. */
  readonly position: SqlPosition | undefined;

  constructor(message: string, position?: SqlPosition, options?: { cause?: unknown }) {
    super(position === undefined ? message : `${position.line}:${position.column}: ${message}`, options);
    this.name = 'SqlError';
    this.position = position;
  }
}

/**
 * A syntax error: the message reads `line:column: expected X, found Y`.
 *
 * @example
 * try { parseSql('create source (') } catch (e) { e.message } // '1:15: expected a source name, found "("'
 */
export class SqlSyntaxError extends SqlError {
  readonly line: number;
  readonly column: number;

  constructor(message: string, position: SqlPosition) {
    super(message, position);
    this.name = 'SqlSyntaxError';
    this.line = position.line;
    this.column = position.column;
  }
}

/** Longest value an error message quotes whole; see {@link quoted}. */
const MAX_QUOTED = 60;

/**
 * A value as an error message quotes it: `'text'`, or its start and length when long (a 1 MB
 * literal must not become a 1 MB line on stderr).
 *
 * @example
 * quoted('x'.repeat(100)) // "'xxxx…' (100 characters)"
 */
export function quoted(value: string): string {
  return value.length <= MAX_QUOTED ? `'${value}'` : `'${value.slice(0, MAX_QUOTED)}…' (${value.length} characters)`;
}
