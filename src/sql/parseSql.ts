// Why a hand-written parser rather than node-sql-parser or pgsql-ast-parser: `CREATE SOURCE ...
// ROW FORMAT 'json'` and RisingWave's `FORMAT PLAIN ENCODE CSV (...)` are not standard SQL, so no
// library parses the statements a file mostly consists of; a tokenizer of our own was needed
// anyway. With it, one recursive-descent parser gives every statement of a file the same
// `line:column: expected X, found Y` errors, counted from the start of the file, not of a
// statement. The SELECT subset we evaluate (one source, projection, WHERE, LIMIT, scalar
// expressions) is small; a general parser would accept joins, GROUP BY and subqueries that we
// would then have to walk its AST to reject, and it would add a runtime dependency to a library
// whose only one is RxJS.
import type { Column } from './Column.js';
import { SqlSyntaxError, type SqlPosition } from './SqlError.js';
import { SQL_TYPE_ALIASES, type SqlType, type SqlTypeName, type StructField } from './SqlType.js';
import type {
  BinaryOperator,
  CreatedObject,
  CreateSourceStatement,
  IncludeColumn,
  IncludeField,
  OrderItem,
  Expression,
  FormatClause,
  Property,
  SelectItem,
  SelectStatement,
  Statement,
  AlterSourceStatement,
} from './Statement.js';
import { findSecretValues, redactError, type IsSecretKey } from './secretValues.js';
import { tokenize, type Token } from './tokenize.js';

/** Words that end an expression or select item, so they cannot be a bare alias. */
const RESERVED = new Set([
  'all', 'and', 'as', 'between', 'by', 'case', 'cast', 'create', 'else', 'end', 'false', 'from', 'group', 'having',
  'ilike', 'in', 'is', 'like', 'limit', 'not', 'null', 'offset', 'on', 'or', 'order', 'select', 'then', 'true',
  'when', 'where', 'with', 'row', 'format', 'encode', 'join', 'union', 'asc', 'desc',
]);

/** `INCLUDE` words and the metadata each names (RisingWave spells the header one `header`). */
const INCLUDE_FIELDS: Readonly<Record<string, IncludeField>> = Object.assign(Object.create(null) as Record<string, IncludeField>, {
  key: 'key',
  partition: 'partition',
  offset: 'offset',
  timestamp: 'timestamp',
  header: 'header',
  headers: 'header',
});

/** Seed-era `ROW FORMAT` names of the change-data formats: the FORMAT (envelope) and ENCODE they mean. */
const LEGACY_ROW_FORMATS: Readonly<Record<string, { format: string; encode: string }>> = Object.assign(Object.create(null) as Record<string, { format: string; encode: string }>, {
  debezium_json: { format: 'debezium', encode: 'json' },
  maxwell: { format: 'maxwell', encode: 'json' },
  canal_json: { format: 'canal', encode: 'json' },
  upsert_json: { format: 'upsert', encode: 'json' },
  debezium_mongo_json: { format: 'debezium_mongo', encode: 'json' },
  upsert_avro: { format: 'upsert', encode: 'avro' },
  debezium_avro: { format: 'debezium', encode: 'avro' },
});

/**
 * How deeply expressions may nest: parentheses, NOT, unary minus, CASE, CAST, function calls,
 * and chains of `IS ...` and `::type` each add a level. SQLite has such a fixed limit
 * (SQLITE_MAX_EXPR_DEPTH, 1000) where PostgreSQL checks the C stack (max_stack_depth); ours is
 * lower because a level costs a dozen JavaScript frames to parse and more to compile and
 * evaluate, and 256 levels stay far below Node's default stack whatever the grammar level. Long
 * flat chains (`a OR b OR ...`, `x + y + ...`) are not nesting: they parse and evaluate in
 * loops, at any length.
 */
export const MAX_EXPRESSION_DEPTH = 256;

/**
 * Parses a SQL text of one or more statements (separated by `;`; a statement that ends
 * unambiguously may also be followed directly by the next). Supports:
 *
 * - `CREATE SOURCE [IF NOT EXISTS] name (col TYPE [NOT NULL], ...) WITH ('k' = 'v', ...)` followed
 *   by `ROW FORMAT 'json'` (optionally `ROW SCHEMA LOCATION 'file://...'`) or RisingWave's
 *   `FORMAT PLAIN ENCODE JSON | CSV (...) | AVRO (...)`; trailing commas are allowed in lists;
 * - `SELECT items FROM source [[AS] alias] [WHERE predicate] [LIMIT n]`.
 *
 * Keywords are case-insensitive, unquoted identifiers fold to lower case, `"quoted"` ones keep
 * their case; `--` and `/* *\/` comments are skipped. Throws {@link SqlSyntaxError} with the line
 * and column of the first problem and what was expected there; an expression nested deeper than
 * {@link MAX_EXPRESSION_DEPTH} is such an error too.
 *
 * Errors never quote a string literal (described as "a string literal", with its position), nor
 * any word or number inside a `WITH (...)` or `ENCODE (...)` list: secrets are written there, and
 * redaction cannot help before the statement is understood.
 *
 * @example
 * const [create] = parseSql(`create source part (p_partkey INTEGER NOT NULL,)
 *   with ('upstream.source' = 'fs', 'fs.path' = 'data/part') row format 'csv'`);
 */
export function parseSql(text: string, options: ParseSqlOptions = {}): Statement[] {
  try {
    return new Parser(tokenize(text)).statements();
  } catch (err) {
    // The parser quotes no string literal; this also covers words in odd places.
    throw redactError(err, findSecretValues(text, options.isSecretKey));
  }
}

/** Options of {@link parseSql}. */
export interface ParseSqlOptions {
  /**
   * Which property names hold secrets, whose values (wherever written) are redacted from error
   * messages; `SECRET_KEY_PATTERN` (secretValues.ts) by default. A `Session` adds its connectors' declarations.
   */
  readonly isSecretKey?: IsSecretKey;
}

class Parser {
  private index = 0;
  /** Expression nesting levels open now; see {@link MAX_EXPRESSION_DEPTH}. */
  private depth = 0;
  /** Inside a `WITH (...)` or `ENCODE (...)` list, where error messages quote no token text. */
  private inProperties = false;

  constructor(private readonly tokens: readonly Token[]) {}

  statements(): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      while (this.acceptOp(';'));
      if (this.peek().kind === 'eof') return statements;
      statements.push(this.statement());
      const next = this.peek();
      if (next.kind !== 'eof' && !this.isOp(next, ';') && !this.isWord(next, 'create') && !this.isWord(next, 'select') && !this.isWord(next, 'alter')) {
        throw this.expected('";" or the end of the statement');
      }
    }
  }

  private statement(): Statement {
    const token = this.peek();
    if (this.isWord(token, 'create')) return this.createSource();
    if (this.isWord(token, 'select')) return this.select();
    if (this.isWord(token, 'alter')) return this.alterSource();
    throw this.expected('CREATE SOURCE, SELECT or ALTER SOURCE');
  }

  // ---- ALTER SOURCE --------------------------------------------------------------------------

  /** `ALTER {SOURCE | TABLE} name SET source_rate_limit {= | TO} {n | DEFAULT}`: the one ALTER there is. */
  private alterSource(): AlterSourceStatement {
    const position = this.expectWord('alter').position;
    if (!this.acceptWord('source') && !this.acceptWord('table')) throw this.expected('SOURCE or TABLE');
    const name = this.identifier('a source name');
    this.expectWord('set');
    const setting = this.peek();
    if (!(setting.kind === 'word' || setting.kind === 'quoted') || setting.value !== 'source_rate_limit') throw this.expected('source_rate_limit (the one setting ALTER SOURCE changes)');
    this.index++;
    if (!this.acceptOp('=') && !this.acceptWord('to')) throw this.expected('"=" or TO');
    if (this.acceptWord('default')) return { kind: 'alter source', name, rateLimit: null, position };
    const value = this.peek();
    if (value.kind !== 'number' || !/^\d+$/.test(value.value)) throw this.expected('a whole number of rows per second (0 pauses) or DEFAULT');
    this.index++;
    return { kind: 'alter source', name, rateLimit: Number(value.value), position };
  }

  // ---- CREATE SOURCE -------------------------------------------------------------------------

  private createSource(): CreateSourceStatement {
    const position = this.expectWord('create').position;
    let object: CreatedObject;
    if (this.acceptWord('table')) object = 'table';
    else if (this.acceptWord('source')) object = 'source';
    else if (this.isWord(this.peek(), 'materialized') && this.isWord(this.peek(1), 'source')) {
      this.index += 2;
      object = 'materialized source';
    } else if (this.isWord(this.peek(), 'materialized') || this.isWord(this.peek(), 'view')) {
      throw this.expected('SOURCE or TABLE (materialized views belong to the engine downstream)');
    } else throw this.expected('SOURCE, TABLE or MATERIALIZED SOURCE');
    let ifNotExists = false;
    if (this.acceptWord('if')) {
      this.expectWord('not');
      this.expectWord('exists');
      ifNotExists = true;
    }
    const name = this.identifier('a source name');
    const columns: Column[] = [];
    let primaryKey: string[] = [];
    let primaryKeyPosition: SqlPosition | undefined;
    const setPrimaryKey = (names: string[], at: SqlPosition): void => {
      if (primaryKeyPosition !== undefined) throw new SqlSyntaxError(`multiple primary keys for "${name}" are not allowed`, at);
      primaryKey = names;
      primaryKeyPosition = at;
    };
    if (this.acceptOp('(')) {
      this.commaList(')', () => {
        const at = this.peek().position;
        if (this.isWord(this.peek(), 'primary') && this.isWord(this.peek(1), 'key')) {
          this.index += 2;
          const names: string[] = [];
          this.expectOp('(');
          this.commaList(')', () => {
            const keyAt = this.peek().position;
            const key = this.identifier('a column name');
            if (names.includes(key)) throw new SqlSyntaxError(`column "${key}" appears twice in the primary key`, keyAt);
            names.push(key);
          });
          if (names.length === 0) throw new SqlSyntaxError('PRIMARY KEY needs at least one column', at);
          setPrimaryKey(names, at);
          return;
        }
        const { column, primaryKey: columnKey } = this.column();
        if (columns.some((c) => c.name === column.name)) throw new SqlSyntaxError(`column "${column.name}" is declared twice`, at);
        columns.push(column);
        if (columnKey) setPrimaryKey([column.name], at);
      });
    }
    const includes: IncludeColumn[] = [];
    let appendOnly = false;
    for (;;) {
      if (this.isWord(this.peek(), 'include')) includes.push(this.include(includes));
      else if (this.isWord(this.peek(), 'append') && this.isWord(this.peek(1), 'only')) {
        this.index += 2;
        appendOnly = true;
      } else break;
    }
    let properties: Property[] = [];
    if (this.acceptWord('with')) properties = this.propertyList('a property name');
    let format: FormatClause | undefined;
    const next = this.peek();
    if (this.isWord(next, 'row')) format = this.rowFormat();
    else if (this.isWord(next, 'format')) format = this.formatEncode();
    return { kind: 'create source', object, name, ifNotExists, columns, primaryKey, primaryKeyPosition, includes, appendOnly, properties, format, position };
  }

  /** RisingWave's `INCLUDE key | partition | offset | timestamp | header [AS column]`. */
  private include(previous: readonly IncludeColumn[]): IncludeColumn {
    this.expectWord('include');
    const token = this.peek();
    const field = token.kind === 'word' ? INCLUDE_FIELDS[token.value] : undefined;
    if (field === undefined) {
      if (token.kind === 'word' && token.value === 'payload') {
        throw new SqlSyntaxError('INCLUDE PAYLOAD is not supported: tributary includes key, partition, offset, timestamp and header', token.position);
      }
      throw this.expected('KEY, PARTITION, OFFSET, TIMESTAMP or HEADER after INCLUDE');
    }
    this.index++;
    let header: string | undefined;
    let headerType: 'varchar' | 'bytea' | undefined;
    if (field === 'header' && this.peek().kind === 'string') {
      header = this.peek().value;
      this.index++;
      if (this.acceptWord('varchar')) headerType = 'varchar';
      else if (this.acceptWord('bytea')) headerType = 'bytea';
    }
    const column = this.acceptWord('as') ? this.identifier('a column name') : header === undefined ? `_rw_kafka_${field}` : `_rw_kafka_header_${header}`;
    if (previous.some((p) => p.field === field && p.header === header)) {
      throw new SqlSyntaxError(`INCLUDE ${field.toUpperCase()}${header === undefined ? '' : ` '${header}'`} is given twice`, token.position);
    }
    if (previous.some((p) => p.column === column)) throw new SqlSyntaxError(`INCLUDE column "${column}" is given twice`, token.position);
    return { field, column, ...(header === undefined ? {} : { header }), ...(headerType === undefined ? {} : { headerType }), position: token.position };
  }

  private column(): { column: Column; primaryKey: boolean } {
    const name = this.identifier('a column name');
    const type = this.type();
    let notNull = false;
    let primaryKey = false;
    for (;;) {
      if (this.acceptWord('not')) {
        this.expectWord('null');
        notNull = true;
      } else if (this.acceptWord('null')) {
        notNull = false;
      } else if (this.acceptWord('primary')) {
        this.expectWord('key');
        notNull = true;
        primaryKey = true;
      } else break;
    }
    return { column: { name, type, notNull }, primaryKey };
  }

  /** A type, then any number of `[]` (an array of it). */
  private type(): SqlType {
    let type = this.scalarType();
    while (this.isOp(this.peek(), '[')) {
      this.index++;
      this.expectOp(']');
      type = { name: 'array', element: type };
    }
    return type;
  }

  /** `STRUCT<name TYPE, ...>`; field names fold like column names. */
  private structType(): SqlType {
    const start = this.peek().position;
    this.expectOp('<');
    const fields: StructField[] = [];
    if (this.isOp(this.peek(), '>')) throw this.expected('a field name');
    for (;;) {
      const at = this.peek().position;
      const name = this.identifier('a field name');
      if (fields.some((f) => f.name === name)) throw new SqlSyntaxError(`field "${name}" is declared twice in the STRUCT`, at);
      this.enter(at);
      fields.push({ name, type: this.type() });
      this.depth--;
      if (this.acceptOp('>')) break;
      if (!this.acceptOp(',')) throw this.expected('"," or ">"');
    }
    if (fields.length === 0) throw new SqlSyntaxError('a STRUCT needs at least one field', start);
    return { name: 'struct', fields };
  }

  private scalarType(): SqlType {
    const token = this.peek();
    if (token.kind !== 'word') throw this.expected('a column type');
    this.index++;
    if (token.value === 'struct' && this.isOp(this.peek(), '<>')) throw new SqlSyntaxError('a STRUCT needs at least one field', this.peek().position);
    if (token.value === 'struct' && this.isOp(this.peek(), '<')) return this.structType();
    let spelled = token.value;
    const follow = (words: readonly string[]): boolean => {
      for (let i = 0; i < words.length; i++) if (!this.isWord(this.peek(i), words[i]!)) return false;
      this.index += words.length;
      spelled += ` ${words.join(' ')}`;
      return true;
    };
    if (spelled === 'double') follow(['precision']);
    else if (spelled === 'character') follow(['varying']);
    // Own keys only: `constructor` is no type.
    let name: SqlTypeName | undefined = Object.hasOwn(SQL_TYPE_ALIASES, spelled) ? SQL_TYPE_ALIASES[spelled] : undefined;
    if (name === undefined) {
      throw new SqlSyntaxError(
        `unknown column type "${token.text}"; expected one of SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, NUMERIC(p,s), BOOLEAN, VARCHAR(n), CHAR(n), TEXT, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, BYTEA, JSONB, STRUCT<...>, or any of them followed by [] for an array`,
        token.position,
      );
    }
    const modifiers: number[] = [];
    if (this.acceptOp('(')) {
      this.commaList(')', () => {
        const t = this.peek();
        if (t.kind !== 'number' || !/^\d+$/.test(t.value)) throw this.expected('a whole number');
        this.index++;
        modifiers.push(Number(t.value));
      });
    }
    if (name === 'time' || name === 'timestamp') {
      if (follow(['with', 'time', 'zone'])) name = name === 'timestamp' ? 'timestamptz' : name;
      else follow(['without', 'time', 'zone']);
    }
    const [first, second] = modifiers;
    const tooMany = (max: number): void => {
      if (modifiers.length > max) throw new SqlSyntaxError(`too many modifiers for type ${name!.toUpperCase()}`, token.position);
    };
    switch (name) {
      case 'varchar':
      case 'char':
        tooMany(1);
        if (first === 0) throw new SqlSyntaxError(`length for type ${name.toUpperCase()} must be at least 1`, token.position);
        if (first !== undefined) return { name, length: first };
        return name === 'char' ? { name, length: 1 } : { name };
      case 'numeric':
        tooMany(2);
        if (first === undefined) return { name };
        if (first < 1 || first > 1000) throw new SqlSyntaxError(`NUMERIC precision ${first} must be between 1 and 1000`, token.position);
        if ((second ?? 0) > first) throw new SqlSyntaxError(`NUMERIC scale ${second} must not exceed precision ${first}`, token.position);
        return { name, precision: first, scale: second ?? 0 };
      case 'timestamp':
      case 'timestamptz':
      case 'time':
        tooMany(1); // fractional seconds precision: accepted, values keep up to microseconds
        return { name };
      default:
        tooMany(0);
        return { name };
    }
  }

  private propertyList(what: string): Property[] {
    const properties: Property[] = [];
    this.expectOp('(');
    this.inProperties = true;
    this.commaList(')', () => {
      const position = this.peek().position;
      const key = this.propertyKey(what);
      this.expectOp('=');
      properties.push({ key, value: this.propertyValue(), position });
    });
    this.inProperties = false;
    return properties;
  }

  private propertyKey(what: string): string {
    const token = this.peek();
    if (token.kind === 'string') {
      this.index++;
      return token.value;
    }
    if (token.kind !== 'word' && token.kind !== 'quoted') throw this.expected(what);
    this.index++;
    let key = token.value;
    while (this.acceptOp('.')) {
      const part = this.peek();
      if (part.kind !== 'word' && part.kind !== 'quoted') throw this.expected('a property name part after "."');
      this.index++;
      key += `.${part.value}`;
    }
    return key;
  }

  private propertyValue(): string {
    const token = this.peek();
    if (token.kind === 'string' || token.kind === 'number' || token.kind === 'word') {
      this.index++;
      return token.kind === 'word' ? token.text : token.value;
    }
    if (this.isOp(token, '-') && this.peek(1).kind === 'number') {
      this.index += 2;
      return `-${this.tokens[this.index - 1]!.value}`;
    }
    throw this.expected("a property value ('text', a number, true or false)");
  }

  private rowFormat(): FormatClause {
    const position = this.expectWord('row').position;
    this.expectWord('format');
    const token = this.peek();
    if (token.kind !== 'string' && token.kind !== 'word') throw this.expected("a row format ('json', 'csv' or 'avro')");
    this.index++;
    const options: Property[] = [];
    const spelled = token.value.toLowerCase();
    const legacy = LEGACY_ROW_FORMATS[spelled];
    if (legacy !== undefined) {
      // The seed's `ROW FORMAT DEBEZIUM_AVRO ROW SCHEMA LOCATION CONFLUENT SCHEMA REGISTRY 'http://...'`:
      // parsed so that the format can say what it needs instead of a syntax error.
      if (this.isWord(this.peek(), 'row') && this.isWord(this.peek(1), 'schema') && this.isWord(this.peek(2), 'location')) {
        const at = this.peek().position;
        this.index += 3;
        const registry = this.isWord(this.peek(), 'confluent') && this.isWord(this.peek(1), 'schema') && this.isWord(this.peek(2), 'registry');
        if (registry) this.index += 3;
        const location = this.peek();
        if (location.kind !== 'string') throw this.expected("a schema location ('http://registry:8081' or 'file:///path/schema.avsc')");
        this.index++;
        options.push({ key: registry ? 'schema.registry' : 'schema.location', value: location.value, position: at });
      }
      return { encode: legacy.encode, format: legacy.format, options, position, legacy: spelled };
    }
    // The seed's `ROW FORMAT CSV WITHOUT HEADER DELIMITED BY ','`.
    if (spelled === 'csv') {
      if (this.isWord(this.peek(), 'without') && this.isWord(this.peek(1), 'header')) {
        options.push({ key: 'without_header', value: 'true', position: this.peek().position });
        this.index += 2;
      }
      if (this.isWord(this.peek(), 'delimited')) {
        const at = this.next().position;
        this.expectWord('by');
        const delimiter = this.peek();
        if (delimiter.kind !== 'string') throw this.expected("a delimiter string after DELIMITED BY (',')");
        this.index++;
        options.push({ key: 'delimiter', value: delimiter.value, position: at });
      }
    }
    if (this.isWord(this.peek(), 'row') && this.isWord(this.peek(1), 'schema')) {
      const at = this.peek().position;
      this.index += 2;
      this.expectWord('location');
      // The seed's `ROW SCHEMA LOCATION CONFLUENT SCHEMA REGISTRY 'http://...'` (RisingWave's old spelling).
      const registry = this.isWord(this.peek(), 'confluent') && this.isWord(this.peek(1), 'schema') && this.isWord(this.peek(2), 'registry');
      if (registry) this.index += 3;
      const location = this.peek();
      if (location.kind !== 'string') throw this.expected("a schema location ('file:///path/schema.avsc' or a schema registry's 'http://host:8081')");
      this.index++;
      options.push({ key: registry ? 'schema.registry' : 'schema.location', value: location.value, position: at });
    }
    return { encode: spelled, options, position };
  }

  private formatEncode(): FormatClause {
    const position = this.expectWord('format').position;
    const format = this.peek();
    if (format.kind !== 'word') throw this.expected('a format such as PLAIN');
    this.index++;
    this.expectWord('encode');
    const encode = this.peek();
    if (encode.kind !== 'word') throw this.expected('an encoding such as JSON, CSV or AVRO');
    this.index++;
    const options = this.isOp(this.peek(), '(') ? this.propertyList('an encode option name') : [];
    return { encode: encode.value, format: format.value, options, position };
  }

  // ---- SELECT --------------------------------------------------------------------------------

  private select(): SelectStatement {
    const position = this.expectWord('select').position;
    if (this.isWord(this.peek(), 'distinct')) throw this.unsupported('DISTINCT');
    this.acceptWord('all');
    const items: SelectItem[] = [];
    do items.push(this.selectItem());
    while (this.acceptOp(','));
    this.expectWord('from');
    const fromPosition = this.peek().position;
    const name = this.identifier('a source name');
    let alias: string | undefined;
    if (this.acceptWord('as')) alias = this.identifier('an alias');
    else if (this.isAliasable(this.peek())) alias = this.identifier('an alias');
    if (this.isOp(this.peek(), ',') || this.isWord(this.peek(), 'join')) throw this.unsupported('joins (one source per query)');
    let where: Expression | undefined;
    if (this.acceptWord('where')) where = this.expression();
    const groupBy: Expression[] = [];
    if (this.acceptWord('group')) {
      this.expectWord('by');
      do groupBy.push(this.expression());
      while (this.acceptOp(','));
    }
    if (this.isWord(this.peek(), 'having')) throw this.unsupported('HAVING');
    const orderBy: OrderItem[] = [];
    if (this.acceptWord('order')) {
      this.expectWord('by');
      do orderBy.push(this.orderItem());
      while (this.acceptOp(','));
    }
    for (const clause of ['offset', 'union']) {
      if (this.isWord(this.peek(), clause)) throw this.unsupported(clause.toUpperCase());
    }
    let limit: number | undefined;
    if (this.acceptWord('limit')) {
      const token = this.peek();
      if (token.kind !== 'number' || !/^\d+$/.test(token.value)) throw this.expected('a row count after LIMIT');
      this.index++;
      limit = Number(token.value);
    }
    if (this.isWord(this.peek(), 'offset')) throw this.unsupported('OFFSET');
    return { kind: 'select', items, from: { name, alias, position: fromPosition }, where, groupBy, orderBy, limit, position };
  }

  /** `expression [ASC | DESC] [NULLS FIRST | LAST]`. */
  private orderItem(): OrderItem {
    const position = this.peek().position;
    const expression = this.expression();
    let descending = false;
    if (this.acceptWord('desc')) descending = true;
    else this.acceptWord('asc');
    let nullsFirst = descending;
    if (this.acceptWord('nulls')) {
      if (this.acceptWord('first')) nullsFirst = true;
      else if (this.acceptWord('last')) nullsFirst = false;
      else throw this.expected('FIRST or LAST after NULLS');
    }
    return { expression, descending, nullsFirst, position };
  }

  private selectItem(): SelectItem {
    const token = this.peek();
    if (this.isOp(token, '*')) {
      this.index++;
      return { kind: 'star', position: token.position };
    }
    const expression = this.expression();
    let alias: string | undefined;
    if (this.acceptWord('as')) alias = this.identifier('an alias');
    else if (this.isAliasable(this.peek())) alias = this.identifier('an alias');
    return { kind: 'expression', expression, alias };
  }

  expression(): Expression {
    const saved = this.depth;
    try {
      this.enter(this.peek().position);
      return this.or();
    } finally {
      this.depth = saved;
    }
  }

  /** One more level of nesting, or the error when that crosses {@link MAX_EXPRESSION_DEPTH}. */
  private enter(position: SqlPosition): void {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      throw new SqlSyntaxError(`expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, position);
    }
  }

  private or(): Expression {
    let left = this.and();
    while (this.isWord(this.peek(), 'or')) {
      const position = this.next().position;
      left = { kind: 'binary', operator: 'or', left, right: this.and(), position };
    }
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.isWord(this.peek(), 'and')) {
      const position = this.next().position;
      left = { kind: 'binary', operator: 'and', left, right: this.not(), position };
    }
    return left;
  }

  private not(): Expression {
    if (this.isWord(this.peek(), 'not')) {
      const position = this.next().position;
      const saved = this.depth;
      try {
        this.enter(position);
        return { kind: 'unary', operator: 'not', operand: this.not(), position };
      } finally {
        this.depth = saved;
      }
    }
    return this.is();
  }

  private is(): Expression {
    let operand = this.comparison();
    const saved = this.depth;
    try {
      while (this.isWord(this.peek(), 'is')) operand = this.isTest(operand);
    } finally {
      this.depth = saved;
    }
    return operand;
  }

  /** `operand IS [NOT] NULL | TRUE | FALSE`, one more nesting level (they chain: `x IS NULL IS FALSE`). */
  private isTest(operand: Expression): Expression {
    const position = this.next().position;
    this.enter(position);
    const negated = this.acceptWord('not');
    if (this.acceptWord('null')) return { kind: 'is null', operand, negated, position };
    if (this.acceptWord('true')) return { kind: 'is boolean', operand, value: true, negated, position };
    if (this.acceptWord('false')) return { kind: 'is boolean', operand, value: false, negated, position };
    throw this.expected('NULL, TRUE or FALSE after IS');
  }

  private comparison(): Expression {
    const left = this.predicate();
    const token = this.peek();
    if (token.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(token.value)) {
      this.index++;
      const operator = (token.value === '!=' ? '<>' : token.value) as BinaryOperator;
      return { kind: 'binary', operator, left, right: this.predicate(), position: token.position };
    }
    return left;
  }

  private predicate(): Expression {
    const operand = this.concat();
    const start = this.index;
    const negated = this.acceptWord('not');
    const token = this.peek();
    if (this.isWord(token, 'like') || this.isWord(token, 'ilike')) {
      this.index++;
      return { kind: 'like', operand, pattern: this.concat(), negated, caseInsensitive: token.value === 'ilike', position: token.position };
    }
    if (this.isWord(token, 'in')) {
      this.index++;
      this.expectOp('(');
      const list: Expression[] = [];
      do list.push(this.expression());
      while (this.acceptOp(','));
      this.expectOp(')');
      return { kind: 'in', operand, list, negated, position: token.position };
    }
    if (this.isWord(token, 'between')) {
      this.index++;
      const low = this.concat();
      this.expectWord('and');
      return { kind: 'between', operand, low, high: this.concat(), negated, position: token.position };
    }
    if (negated) {
      this.index = start;
    }
    return operand;
  }

  private concat(): Expression {
    let left = this.additive();
    while (this.isOp(this.peek(), '||')) {
      const position = this.next().position;
      left = { kind: 'binary', operator: '||', left, right: this.additive(), position };
    }
    return left;
  }

  private additive(): Expression {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (!this.isOp(token, '+') && !this.isOp(token, '-')) return left;
      this.index++;
      left = { kind: 'binary', operator: token.value as '+' | '-', left, right: this.multiplicative(), position: token.position };
    }
  }

  private multiplicative(): Expression {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (!this.isOp(token, '*') && !this.isOp(token, '/') && !this.isOp(token, '%')) return left;
      this.index++;
      left = { kind: 'binary', operator: token.value as '*' | '/' | '%', left, right: this.unary(), position: token.position };
    }
  }

  private unary(): Expression {
    const token = this.peek();
    if (this.isOp(token, '-') || this.isOp(token, '+')) {
      this.index++;
      const saved = this.depth;
      try {
        this.enter(token.position);
        return { kind: 'unary', operator: token.value as '-' | '+', operand: this.unary(), position: token.position };
      } finally {
        this.depth = saved;
      }
    }
    return this.postfix();
  }

  private postfix(): Expression {
    let operand = this.primary();
    const saved = this.depth;
    try {
      while (this.isOp(this.peek(), '::')) {
        const position = this.next().position;
        this.enter(position);
        operand = { kind: 'cast', operand, type: this.type(), position };
      }
    } finally {
      this.depth = saved;
    }
    return operand;
  }

  private primary(): Expression {
    const token = this.peek();
    const position = token.position;
    switch (token.kind) {
      case 'number':
        this.index++;
        return { kind: 'literal', literal: { type: 'number', text: token.value }, position };
      case 'string':
        this.index++;
        return { kind: 'literal', literal: { type: 'string', value: token.value }, position };
      case 'quoted':
        return this.columnRef();
      case 'op':
        if (token.value === '(') {
          this.index++;
          if (this.isWord(this.peek(), 'select')) throw this.unsupported('subqueries');
          const inner = this.expression();
          this.expectOp(')');
          return inner;
        }
        throw this.expected('an expression');
      case 'eof':
        throw this.expected('an expression');
      case 'word':
        break;
    }
    switch (token.value) {
      case 'null':
        this.index++;
        return { kind: 'literal', literal: { type: 'null' }, position };
      case 'true':
      case 'false':
        this.index++;
        return { kind: 'literal', literal: { type: 'boolean', value: token.value === 'true' }, position };
      case 'cast': {
        this.index++;
        this.expectOp('(');
        const operand = this.expression();
        this.expectWord('as');
        const type = this.type();
        this.expectOp(')');
        return { kind: 'cast', operand, type, position };
      }
      case 'case':
        return this.caseExpression();
    }
    // A typed literal: DATE '2024-01-31', TIMESTAMP '...', NUMERIC '1.5'.
    if (Object.hasOwn(SQL_TYPE_ALIASES, token.value) && this.peek(1).kind === 'string') {
      const type = this.type();
      const literal = this.next();
      return { kind: 'cast', operand: { kind: 'literal', literal: { type: 'string', value: literal.value }, position: literal.position }, type, position };
    }
    if (this.isOp(this.peek(1), '(')) {
      this.index += 2;
      const args: Expression[] = [];
      // `count(*)`: a call with no arguments that counts rows.
      if (this.isOp(this.peek(), '*') && this.isOp(this.peek(1), ')')) {
        this.index += 2;
        return { kind: 'call', name: token.value, args, star: true, position };
      }
      if (this.isWord(this.peek(), 'distinct')) throw this.unsupported('DISTINCT in an aggregate');
      if (!this.acceptOp(')')) {
        do args.push(this.expression());
        while (this.acceptOp(','));
        this.expectOp(')');
      }
      return { kind: 'call', name: token.value, args, position };
    }
    if (RESERVED.has(token.value)) throw this.expected('an expression');
    return this.columnRef();
  }

  private caseExpression(): Expression {
    const position = this.expectWord('case').position;
    const subject = this.isWord(this.peek(), 'when') ? undefined : this.expression();
    const branches: { when: Expression; then: Expression }[] = [];
    while (this.acceptWord('when')) {
      const test = this.expression();
      this.expectWord('then');
      const when: Expression =
        subject === undefined ? test : { kind: 'binary', operator: '=', left: subject, right: test, position: test.position };
      branches.push({ when, then: this.expression() });
    }
    if (branches.length === 0) throw this.expected('WHEN');
    const otherwise = this.acceptWord('else') ? this.expression() : undefined;
    this.expectWord('end');
    return { kind: 'case', branches, otherwise, position };
  }

  private columnRef(): Expression {
    const position = this.peek().position;
    const first = this.identifier('a column name');
    if (this.acceptOp('.')) {
      if (this.isOp(this.peek(), '*')) throw this.unsupported('qualified * (write *)');
      return { kind: 'column', name: this.identifier('a column name'), qualifier: first, position };
    }
    return { kind: 'column', name: first, qualifier: undefined, position };
  }

  // ---- helpers -------------------------------------------------------------------------------

  private identifier(what: string): string {
    const token = this.peek();
    if (token.kind === 'quoted' || (token.kind === 'word' && !RESERVED.has(token.value))) {
      this.index++;
      return token.value;
    }
    throw this.expected(what);
  }

  private isAliasable(token: Token): boolean {
    return token.kind === 'quoted' || (token.kind === 'word' && !RESERVED.has(token.value));
  }

  /** Parses `item (, item)* [,] close`, allowing the trailing comma of the seed statement. */
  private commaList(close: string, item: () => void): void {
    if (this.acceptOp(close)) return;
    for (;;) {
      item();
      if (this.acceptOp(close)) return;
      if (!this.acceptOp(',')) throw this.expected(`"," or "${close}"`);
      if (this.acceptOp(close)) return;
    }
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    this.index++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.value === word;
  }

  private isOp(token: Token, op: string): boolean {
    return token.kind === 'op' && token.value === op;
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(this.peek(), word)) return false;
    this.index++;
    return true;
  }

  private acceptOp(op: string): boolean {
    if (!this.isOp(this.peek(), op)) return false;
    this.index++;
    return true;
  }

  private expectWord(word: string): Token {
    const token = this.peek();
    if (!this.isWord(token, word)) throw this.expected(word.toUpperCase());
    this.index++;
    return token;
  }

  private expectOp(op: string): Token {
    const token = this.peek();
    if (!this.isOp(token, op)) throw this.expected(`"${op}"`);
    this.index++;
    return token;
  }

  private expected(what: string): SqlSyntaxError {
    const token = this.peek();
    return new SqlSyntaxError(`expected ${what}, found ${this.describe(token)}`, token.position);
  }

  /**
   * A token as an error message shows it. A string literal is never quoted (it may be a secret,
   * written where the parser did not expect it), nor is any word or number of a property list.
   */
  private describe(token: Token): string {
    switch (token.kind) {
      case 'eof':
        return 'end of input';
      case 'string':
        return 'a string literal';
      case 'op':
        return `"${token.text}"`;
      case 'word':
        return this.inProperties ? 'an unquoted word' : `"${token.text}"`;
      case 'quoted':
        return this.inProperties ? 'a quoted identifier' : `"${token.text}"`;
      case 'number':
        return this.inProperties ? 'a number' : `"${token.text}"`;
    }
  }

  private unsupported(what: string): SqlSyntaxError {
    return new SqlSyntaxError(
      `${what} not supported: a query reads one source with projection, WHERE, GROUP BY, ORDER BY and LIMIT`,
      this.peek().position,
    );
  }
}

