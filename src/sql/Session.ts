import type { SplitLeases } from '../core/SplitLeases.js';
import {
  asyncScheduler,
  filter,
  identity,
  interval,
  map,
  merge,
  pipe,
  take,
  type MonoTypeOperatorFunction,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ConnectorFactory } from '../connectors/ConnectorFactory.js';
import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import { checkpointed } from '../core/checkpointed.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../core/createSource.js';
import type { Source } from '../core/Source.js';
import type { SourceEvent } from '../core/SourceEvent.js';
import { toRecords } from '../core/toRecords.js';
import { createFormat } from '../formats/createFormat.js';
import { protobufMessageType } from '../formats/protobufFormat.js';
import { SchemaNotFoundError, SchemaRegistryClient } from '../formats/SchemaRegistryClient.js';
import type { Format, Row } from '../formats/Format.js';
import { MemoryStore } from '../state/MemoryStore.js';
import type { StateStore } from '../state/StateStore.js';
import { avroColumns } from './avroColumns.js';
import { builtinConnectors } from './builtinConnectors.js';
import type { Column } from './Column.js';
import { compileQuery, type CompiledQuery, type QueryColumn } from './compileQuery.js';
import { createRowConverter } from './createRowConverter.js';
import type { Schema } from './defineSchema.js';
import { didYouMean } from './didYouMean.js';
import { parseSql } from './parseSql.js';
import { protobufColumns } from './protobufColumns.js';
import { resolveConnector, type GivenProperty } from './resolveConnector.js';
import { resolveFormat } from './resolveFormat.js';
import { findSecretValues, redactError, redactSecrets, SECRET_KEY_PATTERN, MIN_REDACTED_LENGTH, type IsSecretKey } from './secretValues.js';
import { CONNECTOR_SELECTORS, FORMAT_PROPERTIES, MAX_TIMER_DELAY_MS, SOURCE_PROPERTIES } from './commonProperties.js';
import { quoted, SqlError, type SqlPosition } from './SqlError.js';
import type { AlterSourceStatement, CreatedObject, CreateSourceStatement, FormatClause, IncludeColumn, SelectStatement } from './Statement.js';
import { defaultTableOperator, type TableOperator } from './TableOperator.js';
import { maintainQuery, type ResultState } from './maintainQuery.js';

/** Builds a format from its name, options and the declared column names. */
export type FormatFactory = (name: string, options: Readonly<Record<string, string>>, columns: readonly string[] | undefined) => Format;

/** Options of a {@link Session}: defaults for every source it creates. */
export interface SessionOptions {
  /** The connectors statements can name; {@link builtinConnectors} by default. */
  readonly connectors?: readonly ConnectorFactory[];
  /** Where every source keeps its checkpoints (under its own name); a fresh `MemoryStore` by default. */
  readonly store?: StateStore;
  /** Default 1000; a source's `checkpoint.interval.ms` property wins. */
  readonly checkpointIntervalMs?: number;
  /** Default `fail`; a source's `bad.records` property wins. */
  readonly badRecords?: BadRecordPolicy;
  /** Barrier requests for every source (instead of the interval), e.g. a shutdown signal merged with a timer. */
  readonly barriers?: Observable<unknown>;
  /**
   * Barrier requests *in addition to* each source's checkpoint interval: the CLI emits one on
   * SIGINT/SIGTERM to write a final checkpoint before exiting.
   */
  readonly extraBarriers?: Observable<unknown>;
  readonly highWaterMark?: number;
  readonly scheduler?: SchedulerLike;
  /** Split leases shared with other processes running the same sources (see `SplitLeases`). */
  readonly leases?: SplitLeases;
  /** How formats are built; `createFormat` by default. */
  readonly formats?: FormatFactory;
  /** What applies a table's changelog by primary key; the core's `toTable` by default (see `TableOperator.ts`). */
  readonly tableOperator?: TableOperator;
}

/** A source registered in a session. */
export interface RegisteredSource {
  readonly name: string;
  readonly source: Source<Row>;
  /** Declared columns, or `undefined` when the statement declared none (rows pass as decoded). */
  readonly columns: readonly Column[] | undefined;
  readonly connector: ConnectorFactory;
  readonly format: string;
  /** What the statement created (`source` for `createSource` from code). */
  readonly object: CreatedObject;
  /** The primary key a table keeps its rows by; empty for an append-only source. */
  readonly primaryKey: readonly string[];
  /** The rows carry operations (a table, or a change-data format): queries over it see deletes and updates. */
  readonly changelog: boolean;
  /** The source completes by itself (a bounded scan): the CLI prints a final result rather than changes. */
  readonly bounded: boolean;
  /**
   * How queries read the source's events: the table operator for a table, else nothing. Run it
   * with `checkpointed(source, pipeline)` (a query's own pipeline starts with it).
   */
  readonly pipeline: MonoTypeOperatorFunction<SourceEvent<Row>>;
}

/**
 * A SELECT ready to run: `rows` is cold, and every subscription runs the source from its last
 * committed checkpoint through `commitEpochs`, then filters, projects and limits (LIMIT
 * unsubscribes from the source once reached).
 */
export interface Query {
  readonly source: Source<Row>;
  readonly columns: readonly QueryColumn[];
  readonly compiled: CompiledQuery;
  readonly rows: Observable<Row>;
  /** WHERE, projection and LIMIT as an operator over records, for pipelines built by hand. */
  readonly operator: OperatorFunction<Row, Row>;
  /**
   * True when the query keeps state or reads a changelog (aggregates, ORDER BY ... LIMIT, a
   * table): its result changes, and `changes` (not `operator`) is how to run it.
   */
  readonly incremental: boolean;
  /**
   * The source's events to the result's changes, to run with `checkpointed(source, pipeline)`:
   * rows carry their `ChangeOp` (see `Changelog.ts`), barriers pass after the query's state of
   * their epoch is written.
   */
  readonly pipeline: MonoTypeOperatorFunction<SourceEvent<Row>>;
  /** `pipeline`, handing each subscription's live result state to `onResult` (for a bounded run's final answer). */
  pipelineWith(onResult: (result: ResultState) => void): MonoTypeOperatorFunction<SourceEvent<Row>>;
  /** The registered source (or table) the query reads. */
  readonly from: RegisteredSource;
}

/** What one statement did. */
export type StatementResult =
  | { readonly kind: 'create source'; readonly source: RegisteredSource; readonly created: boolean }
  | { readonly kind: 'select'; readonly query: Query }
  | { readonly kind: 'alter source'; readonly source: RegisteredSource; readonly rateLimit: number | null };

/** The change-data `createFormat` names `createSource` takes, as the FORMAT ... ENCODE they stand for. */
const CODE_CHANGELOG_FORMATS: Readonly<Record<string, { readonly format: string; readonly encode: string }>> = Object.assign(
  Object.create(null) as Record<string, { format: string; encode: string }>,
  {
    debezium_json: { format: 'debezium', encode: 'json' },
    debezium_avro: { format: 'debezium', encode: 'avro' },
    maxwell: { format: 'maxwell', encode: 'json' },
    canal_json: { format: 'canal', encode: 'json' },
    upsert_json: { format: 'upsert', encode: 'json' },
  },
);

/** Options of {@link Session.createSource}: the programmatic CREATE SOURCE. */
export interface CreateSourceOptions<R> {
  /** A connector name (`'fs'`, `'kafka'`, as in `connector = '...'`) or a factory. */
  readonly connector: string | ConnectorFactory;
  /** The WITH properties; numbers and booleans are written as strings. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** `'json'`, `'csv'`, `'avro'`, or a name with `createFormat` options. */
  readonly format: string | { readonly name: string; readonly options?: Readonly<Record<string, string>> };
  /** The columns, from {@link defineSchema}; rows are checked and converted against it. */
  readonly schema?: Schema<R>;
  /**
   * The primary-key columns: the source becomes a table (SQL's `CREATE TABLE ... PRIMARY KEY`),
   * whose rows queries see kept by key. Required with a change-data format (`debezium_json`,
   * `debezium_avro`, `maxwell`, `canal_json`, `upsert_json`), as in SQL.
   */
  readonly primaryKey?: readonly string[];
  readonly badRecords?: BadRecordPolicy;
  readonly checkpointIntervalMs?: number;
  readonly store?: StateStore;
  readonly barriers?: Observable<unknown>;
  /** Replace a source of the same name instead of failing. */
  readonly replace?: boolean;
}

/**
 * A catalog of sources and the way to run SQL over them: `execute` runs `CREATE SOURCE` and
 * `SELECT` statements, `createSource` is the same from code, typed by a schema.
 *
 * @example
 * const session = new Session();
 * session.execute(`CREATE SOURCE part (p_partkey INT NOT NULL, p_name VARCHAR(55))
 *   WITH (connector = 'fs', fs.path = 'data/part') FORMAT PLAIN ENCODE CSV`);
 * session.query(`SELECT p_name FROM part WHERE p_partkey < 10`).rows.subscribe(console.log);
 *
 * @example
 * const schema = defineSchema({ p_partkey: integer().notNull(), p_name: varchar(55) });
 * const part = session.createSource('part', { connector: 'fs', properties: { 'fs.path': 'data/part' }, format: 'csv', schema });
 * checkpointed(part).pipe(toRecords()).subscribe((row) => row.p_partkey); // row: RowOf<typeof schema>
 */
export class Session {
  private readonly registry = new Map<string, RegisteredSource>();
  /** Values of secret properties of every source created or statement seen, for {@link redact}. */
  private readonly secrets = new Set<string>();
  private readonly connectors: readonly ConnectorFactory[];
  private readonly store: StateStore;
  private readonly formats: FormatFactory;
  /** Whether formats come from `createFormat`, so that a format's spec rebuilds it (worker threads). */
  private readonly formatsAreDefault: boolean;
  /**
   * Which property names hold secrets: those the connectors declare secret, and any other name
   * matching `SECRET_KEY_PATTERN` (a misspelt or unknown one) that no connector declares plain.
   */
  private readonly isSecretKey: IsSecretKey;

  constructor(private readonly options: SessionOptions = {}) {
    this.connectors = options.connectors ?? builtinConnectors;
    const secret = new Set<string>();
    const plain = new Set<string>([...CONNECTOR_SELECTORS, ...SOURCE_PROPERTIES.map((s) => s.name), ...FORMAT_PROPERTIES.map((s) => s.name)]);
    for (const spec of this.connectors.flatMap((f) => f.properties)) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) (spec.secret === true ? secret : plain).add(name.toLowerCase());
    }
    this.isSecretKey = (key) => {
      const name = key.toLowerCase();
      return secret.has(name) || (!plain.has(name) && SECRET_KEY_PATTERN.test(name));
    };
    this.store = options.store ?? new MemoryStore();
    this.formats = options.formats ?? ((name, formatOptions, columns) => createFormat(name, formatOptions, columns));
    this.formatsAreDefault = options.formats === undefined;
  }

  /** The sources registered so far, by name. */
  get sources(): ReadonlyMap<string, RegisteredSource> {
    return this.registry;
  }

  /** The connectors this session knows. */
  get connectorFactories(): readonly ConnectorFactory[] {
    return this.connectors;
  }

  /**
   * Runs every statement of `sql` in order. CREATE SOURCE registers a source (nothing is read
   * until a query or pipeline subscribes); SELECT compiles into a {@link Query}. Throws a
   * `SqlError` (syntax, unknown connector or property, unknown column...) before anything runs.
   */
  execute(sql: string): StatementResult[] {
    // Every value written after a secret name, found before parsing: an error anywhere in the
    // text (parse, property check, type check, connector) is redacted with them, and so are the
    // messages of the sources' runs, through `redact`.
    for (const value of findSecretValues(sql, this.isSecretKey)) this.addSecret(value);
    try {
      return parseSql(sql, { isSecretKey: this.isSecretKey }).map((statement) => {
        try {
          if (statement.kind === 'create source') return this.createFromStatement(statement);
          if (statement.kind === 'alter source') return this.alter(statement);
          return { kind: 'select', query: this.compile(statement) };
        } catch (err) {
          // A problem of the statement as a whole (no row format, a missing property) is placed at its start.
          if (err instanceof SqlError && err.position === undefined) throw new SqlError(err.message, statement.position, { cause: err });
          throw err;
        }
      });
    } catch (err) {
      throw redactError(err, this.secrets);
    }
  }

  /**
   * {@link execute}, and a CREATE SOURCE/TABLE that declares no columns and reads Avro or Protobuf
   * from a schema registry (`FORMAT PLAIN ENCODE AVRO (schema.registry = ...)`, `ROW SCHEMA
   * LOCATION`) gets its columns from the latest version of its subject (`<topic>-value` unless
   * `schema.registry.subject` names one), typed by {@link avroColumns} / {@link protobufColumns};
   * Protobuf with a descriptor file (`schema.location`) from its `message`. Queries are type-checked
   * against them and rows converted as for declared columns. The columns are those of that
   * version, and registry Avro rows are read in it (its id becomes the reader schema): a later
   * version's added fields are not columns until the source is created again, and a message of
   * a version that dropped a column's field (without a default) is a bad record at its offset.
   * Rejects with a `SqlError` (credentials redacted) when the registry does not answer, the
   * subject has no version, or a field has no SQL type. `execute` cannot wait for the registry:
   * there such a source stays untyped (rows as decoded with the latest schema at run time).
   *
   * @example
   * await session.executeAsync(`CREATE SOURCE orders WITH (connector = 'kafka', topic = 'orders', properties.bootstrap.server = 'localhost:9092')
   *   FORMAT PLAIN ENCODE AVRO (schema.registry = 'http://localhost:8081')`);
   * session.sources.get('orders')?.columns; // [{ name: 'id', type: { name: 'bigint' }, notNull: true }, ...]
   */
  async executeAsync(sql: string): Promise<StatementResult[]> {
    for (const value of findSecretValues(sql, this.isSecretKey)) this.addSecret(value);
    try {
      const results: StatementResult[] = [];
      for (const statement of parseSql(sql, { isSecretKey: this.isSecretKey })) {
        try {
          if (statement.kind === 'create source') {
            const derived = this.registry.has(statement.name) ? undefined : await this.derivedColumns(statement);
            results.push(this.createFromStatement(statement, derived));
          } else if (statement.kind === 'alter source') {
            results.push(this.alter(statement));
          } else {
            results.push({ kind: 'select', query: this.compile(statement) });
          }
        } catch (err) {
          if (err instanceof SqlError && err.position === undefined) throw new SqlError(err.message, statement.position, { cause: err });
          throw err;
        }
      }
      return results;
    } catch (err) {
      throw redactError(err, this.secrets);
    }
  }

  /**
   * The columns a CREATE without columns derives: from the latest schema of the subject it reads
   * from the schema registry (Avro or Protobuf), or from its Protobuf descriptor file; `undefined`
   * when it declares columns or reads neither (a statement the connector or format refuses is left
   * to {@link createFromStatement}, which says why).
   */
  private async derivedColumns(statement: CreateSourceStatement): Promise<DerivedColumns | undefined> {
    if (statement.columns.length > 0) return undefined;
    let options: Readonly<Record<string, string>>;
    let formatName: string;
    let subject: string | undefined;
    try {
      const resolved = resolveConnector(statement.name, statement.properties.filter((p) => p.key.toLowerCase() !== 'appendonly'), this.connectors);
      const formatSpec = resolveFormat(statement.name, statement.format, resolved.formatOptions);
      if ((formatSpec.name !== 'avro' && formatSpec.name !== 'protobuf') || formatSpec.changelog !== undefined) return undefined;
      options = formatSpec.options;
      formatName = formatSpec.name;
      subject = options['schema.registry.subject'] ?? this.schemaRegistryOptions(options, resolved.properties)['schema.registry.subject'];
    } catch {
      return undefined;
    }
    const where = `${statement.object === 'table' ? 'table' : 'source'} "${statement.name}"`;
    const at = statement.format?.position ?? statement.position;
    const url = options['schema.registry'];
    const message = options['message'];
    const schemaFile = options['schema.file'];
    if (url === undefined) {
      // A protobuf descriptor file: its message's fields (an Avro schema file's rows pass untyped, as before).
      if (formatName !== 'protobuf' || schemaFile === undefined || message === undefined) return undefined;
      let type;
      try {
        type = protobufMessageType({ schemaFile }, message);
      } catch {
        return undefined; // the format, made next, says what is wrong with the file
      }
      return { columns: this.columnsOrError(where, at, () => protobufColumns(type, message)), formatOptions: {} };
    }
    // No subject (a connector without Kafka's topic naming, e.g. Pulsar): rows stay as each message's writer schema decodes them.
    if (subject === undefined) return undefined;
    let version;
    try {
      const username = options['schema.registry.username'];
      const password = options['schema.registry.password'];
      const client = new SchemaRegistryClient({ url, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) });
      version = await client.latest(subject);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const advice = err instanceof SchemaNotFoundError ? `register a schema under ${JSON.stringify(subject)} first, or declare the columns` : 'declare the columns, or retry when it answers';
      throw new SqlError(`${where}: no columns declared, and deriving them from the latest schema of subject ${JSON.stringify(subject)} failed: ${this.redact(text)}; ${advice}`, at, { cause: err });
    }
    const expected = formatName === 'avro' ? 'AVRO' : 'PROTOBUF';
    if (version.type !== expected) {
      throw new SqlError(`${where}: the latest version of subject ${JSON.stringify(subject)} is a ${version.type} schema, not ${formatName === 'avro' ? 'Avro' : 'Protobuf'}; declare the columns`, at);
    }
    const latest = `the latest version of subject ${JSON.stringify(subject)} (id ${version.id})`;
    if (formatName === 'protobuf') {
      const columns = this.columnsOrError(where, at, () => {
        const type = protobufMessageType({ schemaText: version.schema }, message);
        return protobufColumns(type, `${type.fullName.replace(/^\./, '')} (${latest})`);
      });
      return { columns, formatOptions: {} };
    }
    let schema: unknown;
    try {
      schema = JSON.parse(version.schema);
    } catch {
      throw new SqlError(`${where}: ${latest} is not JSON`, at);
    }
    const columns = this.columnsOrError(where, at, () => avroColumns(schema as Parameters<typeof avroColumns>[0], subject));
    // Rows are read in the version the columns came from (not whatever is latest when a run
    // starts): a field a later version drops keeps its values in the messages written before.
    return { columns, formatOptions: { 'schema.registry.reader.id': String(version.id) } };
  }

  /** `derive()`, its error as a `SqlError` of the statement. */
  private columnsOrError(where: string, at: SqlPosition, derive: () => Column[]): Column[] {
    try {
      return derive();
    } catch (err) {
      throw new SqlError(`${where}: ${err instanceof Error ? err.message : String(err)}`, at, { cause: err });
    }
  }

  /** Runs `sql` and returns the query of its last statement, which must be a SELECT. */
  query(sql: string): Query {
    const results = this.execute(sql);
    const last = results.at(-1);
    if (last?.kind !== 'select') throw new SqlError('expected the last statement to be a SELECT');
    return last.query;
  }

  /**
   * The programmatic CREATE SOURCE: the same connector selection and property checks as SQL,
   * with the row type following from the schema.
   */
  createSource<R = Row>(name: string, options: CreateSourceOptions<R>): Source<R> {
    if (this.registry.has(name) && options.replace !== true) throw new SqlError(`source "${name}" already exists`);
    const connectors = typeof options.connector === 'string' ? this.connectors : [options.connector];
    const connectorName = typeof options.connector === 'string' ? options.connector : (options.connector.connectorNames[0] ?? options.connector.name);
    const given: GivenProperty[] = [
      { key: 'connector', value: connectorName },
      ...Object.entries(options.properties ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    ];
    for (const p of given) if (this.isSecretKey(p.key)) this.addSecret(p.value);
    const formatName = (typeof options.format === 'string' ? options.format : options.format.name).toLowerCase();
    const changelog = CODE_CHANGELOG_FORMATS[formatName];
    // upsert_json from code keys by a declared column, as the seed's ROW FORMAT UPSERT_JSON (there is no INCLUDE KEY here).
    const format: FormatClause =
      changelog === undefined
        ? { encode: formatName, options: [] }
        : { format: changelog.format, encode: changelog.encode, options: [], ...(changelog.format === 'upsert' ? { legacy: formatName } : {}) };
    const extraFormatOptions = typeof options.format === 'string' ? {} : (options.format.options ?? {});
    const primaryKey = options.primaryKey === undefined ? [] : [...options.primaryKey];
    const table: TableDeclaration = { object: primaryKey.length > 0 ? 'table' : 'source', primaryKey, primaryKeyPosition: undefined, includes: [], appendOnly: false };
    let registered: RegisteredSource;
    try {
      registered = this.register(name, connectors, options.schema?.columns, given, format, extraFormatOptions, options, undefined, table);
    } catch (err) {
      throw redactError(err, this.secrets);
    }
    // The converter built from `schema` makes every row a `R`; the source itself is untyped.
    return registered.source as unknown as Source<R>;
  }

  /**
   * `text` with the value of every secret property of this session's sources replaced by
   * `***`, and of every value written after a secret-looking name in the SQL it executed (even
   * a misspelt one): for messages from connectors and client libraries at run time. `execute`
   * and `createSource` already redact their own errors with the same values.
   */
  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  private addSecret(value: string): void {
    // Very short values would blank out ordinary words of unrelated messages.
    if (value.length >= MIN_REDACTED_LENGTH) this.secrets.add(value);
  }

  /**
   * A schema registry's credentials are secrets (the password option, the password in the URL),
   * and its reader schema is the latest of the topic's value subject (Confluent's default
   * TopicNameStrategy, `<topic>-value`).
   */
  private schemaRegistryOptions(options: Readonly<Record<string, string>>, properties: Readonly<Record<string, string>>): Record<string, string> {
    const url = options['schema.registry'];
    if (url === undefined) return {};
    const password = options['schema.registry.password'];
    if (password !== undefined) this.addSecret(password);
    const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/]*)@/i.exec(url)?.[1];
    if (userInfo !== undefined) {
      const secret = userInfo.slice(userInfo.indexOf(':') + 1);
      this.addSecret(secret);
      this.addSecret(userInfo);
      if (secret.includes('%')) this.addSecret(decodeURIComponent(secret));
    }
    const topic = properties['kafka.topic'];
    return topic === undefined || options['schema.registry.subject'] !== undefined ? {} : { 'schema.registry.subject': `${topic}-value` };
  }

  /** Drops a source from the catalog (its checkpoints stay in the store). */
  dropSource(name: string): boolean {
    return this.registry.delete(name);
  }

  /** ALTER SOURCE ... SET source_rate_limit: applies at once, to a running source too. */
  private alter(statement: AlterSourceStatement): StatementResult {
    const registered = this.registry.get(statement.name);
    if (registered === undefined) {
      const hint = didYouMean(statement.name, this.registry.keys());
      throw new SqlError(`source "${statement.name}" does not exist${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`, statement.position);
    }
    registered.source.setRateLimit(statement.rateLimit);
    return { kind: 'alter source', source: registered, rateLimit: statement.rateLimit };
  }

  /** `derived`: the columns from the registry's latest schema when the statement declares none ({@link executeAsync}). */
  private createFromStatement(statement: CreateSourceStatement, derived?: DerivedColumns): StatementResult {
    const existing = this.registry.get(statement.name);
    if (existing !== undefined) {
      if (statement.ifNotExists) return { kind: 'create source', source: existing, created: false };
      throw new SqlError(`source "${statement.name}" already exists`, statement.position);
    }
    const where = `${statement.object === 'table' ? 'table' : 'source'} "${statement.name}"`;
    // The seed-era `appendonly = 'true'` property is `APPEND ONLY`, not a connector property.
    let appendOnly = statement.appendOnly;
    const properties = statement.properties.filter((p) => {
      if (p.key.toLowerCase() !== 'appendonly') return true;
      const v = p.value.toLowerCase();
      if (v !== 'true' && v !== 'false') throw new SqlError(`${where}: appendonly must be 'true' or 'false', got ${quoted(p.value)}`, p.position);
      appendOnly ||= v === 'true';
      return false;
    });
    const given: GivenProperty[] = [...properties];
    if (statement.includes.length > 0) {
      const at = statement.includes[0]!.position;
      if (properties.some((p) => p.key === 'kafka.include')) {
        throw new SqlError(`${where}: INCLUDE and the 'kafka.include' property say the same thing; give one`, at);
      }
      // Refused before connector selection, which would only call 'kafka.include' unknown.
      const named = properties.find((p) => CONNECTOR_SELECTORS.includes(p.key))?.value.toLowerCase();
      const factories = this.connectors.filter((f) => named === undefined || f.connectorNames.some((n) => n.toLowerCase() === named));
      if (named !== undefined && factories.length > 0 && !factories.some((f) => f.properties.some((p) => p.name === 'kafka.include'))) {
        const field = statement.includes[0]!.field.toUpperCase();
        throw new SqlError(`${where}: INCLUDE ${field} needs a connector with message metadata (kafka); connector ${factories[0]!.name} has none`, at);
      }
      given.push({ key: 'kafka.include', value: statement.includes.map(includeEntry).join(','), position: at });
    }
    const columns = statement.columns.length > 0 ? statement.columns : derived?.columns;
    const source = this.register(statement.name, this.connectors, columns, given, statement.format, derived?.formatOptions ?? {}, {}, statement.position, {
      object: statement.object,
      primaryKey: statement.primaryKey,
      primaryKeyPosition: statement.primaryKeyPosition,
      includes: statement.includes,
      appendOnly,
    });
    return { kind: 'create source', source, created: true };
  }

  /**
   * RisingWave's rules for a statement's primary key, INCLUDE columns and APPEND ONLY against
   * its format; returns whether the rows are kept by primary key (a table).
   */
  /** `keyless`: a changelog source without a key is allowed (its rows pass with their operations, not kept). */
  private checkTable(where: string, table: TableDeclaration, changelog: string | undefined, formatShown: string, connector: ConnectorFactory, position: SqlPosition | undefined, keyless = false): boolean {
    const { primaryKey, includes } = table;
    const at = table.primaryKeyPosition ?? position;
    if (includes.length > 0 && !connector.properties.some((p) => p.name === 'kafka.include')) {
      throw new SqlError(`${where}: INCLUDE ${includes[0]!.field.toUpperCase()} needs a connector with message metadata (kafka); connector ${connector.name} has none`, includes[0]!.position);
    }
    if (table.appendOnly) {
      if (changelog !== undefined) throw new SqlError(`${where}: an APPEND ONLY table does not support ${formatShown}: its rows update and delete`, position);
      if (primaryKey.length > 0) throw new SqlError(`${where}: an APPEND ONLY table has no primary key (its rows are never updated by key); drop PRIMARY KEY or APPEND ONLY`, at);
    }
    if (changelog === undefined) {
      if (primaryKey.length > 0 && table.object === 'source') {
        throw new SqlError(`${where}: a source does not support PRIMARY KEY; use CREATE TABLE to keep rows by key`, at);
      }
      return primaryKey.length > 0;
    }
    if (changelog === 'upsert') {
      const key = includes.find((i) => i.field === 'key');
      // The seed-era ROW FORMAT UPSERT_JSON keyed by a declared column; the FORMAT UPSERT syntax by the message key.
      if (table.legacy !== true) {
        if (key === undefined) {
          throw new SqlError(`${where}: INCLUDE KEY clause not set: for ${formatShown}, INCLUDE KEY [AS rw_key] must be given and the key column used as primary key, e.g. CREATE TABLE t (..., PRIMARY KEY (rw_key)) INCLUDE KEY AS rw_key`, position);
        }
        if (primaryKey.length === 0) throw new SqlError(`${where}: a primary key must be specified to ${key.column} for ${formatShown}: add PRIMARY KEY (${key.column})`, position);
        if (primaryKey.length !== 1 || primaryKey[0] !== key.column) throw new SqlError(`${where}: only "${key.column}" can be used as primary key for ${formatShown}`, at);
      }
    } else if (includes.length > 0) {
      throw new SqlError(`${where}: ${formatShown} forbids additional columns, but got INCLUDE ${includes.map((i) => i.field.toUpperCase()).join(', ')}`, includes[0]!.position);
    }
    if (primaryKey.length === 0) {
      if (keyless) return false;
      throw new SqlError(`${where}: a primary key must be specified for ${formatShown}: its rows update and delete by key; add PRIMARY KEY (column, ...)`, position);
    }
    return true;
  }

  private register(
    name: string,
    connectors: readonly ConnectorFactory[],
    columns: readonly Column[] | undefined,
    given: readonly GivenProperty[],
    formatClause: FormatClause | undefined,
    extraFormatOptions: Readonly<Record<string, string>>,
    overrides: Pick<CreateSourceOptions<unknown>, 'badRecords' | 'checkpointIntervalMs' | 'store' | 'barriers'>,
    position: SqlPosition | undefined,
    table: TableDeclaration = { object: 'source', primaryKey: [], primaryKeyPosition: undefined, includes: [], appendOnly: false },
  ): RegisteredSource {
    const resolved = resolveConnector(name, given, connectors);
    for (const spec of resolved.factory.properties) {
      const value = resolved.properties[spec.name];
      if (spec.secret === true && value !== undefined) this.addSecret(value);
    }
    // A change-data connector (postgres-cdc) decodes its own messages: RisingWave's DDL for it has
    // no FORMAT clause, and none is needed here either (the format given then is not used).
    const formatSpec = resolveFormat(
      name,
      formatClause ?? (resolved.factory.changelog === true ? { encode: 'json', format: 'plain', options: [] } : undefined),
      resolved.formatOptions,
    );
    const where = `${table.object === 'table' ? 'table' : 'source'} "${name}"`;
    const formatShown =
      formatClause?.legacy !== undefined ? `ROW FORMAT ${formatClause.legacy.toUpperCase()}` : `FORMAT ${(formatClause?.format ?? 'plain').toUpperCase()} ENCODE ${(formatClause?.encode ?? formatSpec.name).toUpperCase()}`;
    // A change-data connector's rows carry their operations whatever the format: its changelog is the format's.
    const connectorChangelog = resolved.factory.changelog === true;
    const keyed = connectorChangelog
      ? this.checkTable(where, { ...table, legacy: false }, 'debezium', `connector ${resolved.factory.name}`, resolved.factory, position, table.object === 'source')
      : this.checkTable(where, { ...table, legacy: formatClause?.legacy !== undefined }, formatSpec.changelog, formatShown, resolved.factory, position);
    if (formatSpec.name === 'csv' && formatSpec.options['header'] !== 'false' && resolved.factory.properties.some((p) => p.name === 'kafka.topic')) {
      // RisingWave refuses this too: each message is one record, so a header line would be read as data.
      throw new SqlError(
        `${where}: CSV HEADER is not supported with the Kafka connector (every message is one record): add without_header = 'true' to ENCODE CSV (...), or 'csv.header' = 'false'`,
        formatClause?.position ?? position,
      );
    }
    const known = new Set([...(columns ?? []).map((c) => c.name), ...table.includes.map((i) => i.column)]);
    for (const key of table.primaryKey) {
      if (columns !== undefined && !known.has(key)) throw new SqlError(`${where}: primary key column "${key}" is not a column of "${name}"`, table.primaryKeyPosition ?? position);
    }
    const upstream = keyed && connectorChangelog ? (resolved.factory.tablesOf?.(resolved.properties) ?? []) : [];
    if (upstream.length > 1) {
      throw new SqlError(
        `${where}: connector ${resolved.factory.name} reads ${upstream.length} tables (${upstream.join(', ')}), and a table keyed by primary key holds one (a TRUNCATE of one would empty the others' rows, equal keys of two would collide): create one TABLE per upstream table, or a SOURCE`,
        position,
      );
    }
    const tableOperator = this.options.tableOperator ?? defaultTableOperator;
    if (keyed && tableOperator === undefined) {
      throw new SqlError(`${where}: keeping rows by primary key needs the table operator (the core's toTable), which this build does not have`, position);
    }
    const registryOptions = this.schemaRegistryOptions(formatSpec.options, resolved.properties);
    let format: Format;
    try {
      format = this.formats(formatSpec.name, { ...formatSpec.options, ...registryOptions, ...extraFormatOptions }, columns?.map((c) => c.name));
    } catch (err) {
      throw new SqlError(`source "${name}": ${err instanceof Error ? err.message : String(err)}`, formatClause?.position ?? position, { cause: err });
    }
    const convert = columns === undefined ? undefined : createRowConverter(columns, { textInput: formatSpec.name === 'csv' });
    const { options } = this;
    const checkpointIntervalMs = overrides.checkpointIntervalMs ?? resolved.checkpointIntervalMs ?? options.checkpointIntervalMs;
    if (checkpointIntervalMs !== undefined && !(Number.isInteger(checkpointIntervalMs) && checkpointIntervalMs >= 1 && checkpointIntervalMs <= MAX_TIMER_DELAY_MS)) {
      // From code (SQL checks its property): a longer delay would fire every 1 ms.
      throw new SqlError(`source "${name}": checkpointIntervalMs must be a whole number between 1 and ${MAX_TIMER_DELAY_MS}, got ${checkpointIntervalMs}`, position);
    }
    const badRecords = overrides.badRecords ?? resolved.badRecords ?? options.badRecords;
    const barriers =
      overrides.barriers ??
      options.barriers ??
      (options.extraBarriers === undefined
        ? undefined
        : merge(interval(checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, options.scheduler ?? asyncScheduler), options.extraBarriers));
    let source: Source<Row>;
    try {
      source = resolved.factory.create({
        name,
        store: overrides.store ?? this.store,
        properties: resolved.properties,
        format,
        ...(this.formatsAreDefault ? { formatSpec: { name: formatSpec.name, options: { ...formatSpec.options, ...extraFormatOptions }, ...(columns === undefined ? {} : { columns: columns.map((c) => c.name) }) } } : {}),
        ...(convert === undefined ? {} : { convert, columns: columns!.map((c) => c.name) }),
        ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
        ...(badRecords === undefined ? {} : { badRecords }),
        ...(barriers === undefined ? {} : { barriers }),
        ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
        ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
        ...(options.leases === undefined ? {} : { leases: options.leases }),
        ...(resolved.rateLimit === undefined ? {} : { rateLimit: resolved.rateLimit }),
      });
    } catch (err) {
      // Factories validate further (a path that is not a directory, a bad combination); their
      // messages must not carry secrets, and the properties are not repeated here.
      throw new SqlError(`source "${name}" (connector ${resolved.factory.name}): ${this.redact(err instanceof Error ? err.message : String(err))}`, position, {
        cause: err,
      });
    }
    const bounded = Object.entries(resolved.properties).some(
      ([key, value]) => (key.endsWith('.scan.mode') && value.toLowerCase() === 'bounded') || (key.endsWith('.scan.bounded.mode') && value.toLowerCase() !== 'unbounded'),
    );
    const pipeline: MonoTypeOperatorFunction<SourceEvent<Row>> = keyed ? tableOperator!(source, { primaryKey: table.primaryKey, name }) : identity;
    const includeColumns = table.includes.map((i) => includeColumn(i, resolved.properties['kafka.include.encoding'] === 'bytes'));
    const registered: RegisteredSource = {
      name,
      source,
      columns: columns === undefined ? undefined : [...columns, ...includeColumns],
      connector: resolved.factory,
      format: formatSpec.name,
      object: table.object,
      primaryKey: table.primaryKey,
      changelog: keyed || formatSpec.changelog !== undefined || connectorChangelog,
      bounded,
      pipeline,
    };
    this.registry.set(name, registered);
    return registered;
  }

  private compile(statement: SelectStatement): Query {
    const registered = this.registry.get(statement.from.name);
    if (registered === undefined) {
      const hint = didYouMean(statement.from.name, this.registry.keys());
      const known = [...this.registry.keys()];
      throw new SqlError(
        `source "${statement.from.name}" does not exist${hint === undefined ? '' : ` (did you mean "${hint}"?)`}` +
          (known.length === 0 ? '; create it first with CREATE SOURCE' : `; known: ${known.join(', ')}`),
        statement.from.position,
      );
    }
    const compiled = compileQuery(statement, registered.columns);
    const operator = queryOperator(compiled);
    const { source } = registered;
    // ORDER BY too: a bounded run's final result must come out sorted, so its rows are kept.
    const incremental = registered.changelog || compiled.aggregate !== undefined || compiled.orderBy.length > 0;
    const name = queryName(statement);
    const pipelineWith =
      (onResult?: (result: ResultState) => void): MonoTypeOperatorFunction<SourceEvent<Row>> =>
      (events) =>
        events.pipe(registered.pipeline, maintainQuery(source, compiled, { name, appendOnly: !registered.changelog, ...(onResult === undefined ? {} : { onResult }) }));
    const pipeline = pipelineWith();
    return {
      source,
      columns: compiled.columns,
      compiled,
      operator,
      incremental,
      pipeline,
      pipelineWith,
      from: registered,
      rows: incremental ? checkpointed(source, pipeline).pipe(toRecords()) : checkpointed(source).pipe(toRecords(), operator),
    };
  }
}

/** What {@link Session.executeAsync} derived for a CREATE without columns. */
interface DerivedColumns {
  readonly columns: readonly Column[];
  /** Added to the format's options (the reader schema the columns came from). */
  readonly formatOptions: Readonly<Record<string, string>>;
}

/** Where a table declaration's parts were written, for {@link Session}'s checks. */
interface TableDeclaration {
  readonly object: CreatedObject;
  readonly primaryKey: readonly string[];
  readonly primaryKeyPosition: SqlPosition | undefined;
  readonly includes: readonly IncludeColumn[];
  readonly appendOnly: boolean;
  /** The format came from a seed-era ROW FORMAT. */
  readonly legacy?: boolean;
}

/** The column an INCLUDE adds, typed as the Kafka connector fills it. */
function includeColumn(include: IncludeColumn, bytes: boolean): Column {
  switch (include.field) {
    case 'key':
      return { name: include.column, type: { name: bytes ? 'bytea' : 'varchar' }, notNull: false };
    case 'partition':
      return { name: include.column, type: { name: 'integer' }, notNull: true };
    case 'offset':
      return { name: include.column, type: { name: 'varchar' }, notNull: true };
    case 'timestamp':
      // RisingWave's type: the message's timestamp as a timestamptz (the Kafka include gives a Date).
      return { name: include.column, type: { name: 'timestamptz' }, notNull: false };
    case 'header':
      if (include.header !== undefined) return { name: include.column, type: { name: include.headerType === 'varchar' ? 'varchar' : 'bytea' }, notNull: false };
      return { name: include.column, type: { name: 'jsonb' }, notNull: false };
  }
}

/** An INCLUDE clause as a `kafka.include` entry (see `parseIncludeEntry`). */
function includeEntry(include: IncludeColumn): string {
  switch (include.field) {
    case 'timestamp':
      return `timestamp timestamptz as ${include.column}`;
    case 'header':
      if (include.header === undefined) return `headers as ${include.column}`;
      // RisingWave's default for one header is bytea.
      return `header '${include.header.replace(/'/g, "''")}' ${include.headerType ?? 'bytea'} as ${include.column}`;
    default:
      return `${include.field} as ${include.column}`;
  }
}

/**
 * A stable name for a query's state: a hash of the statement without positions, so the same
 * query over the same state store finds its checkpoint again, and a different one does not.
 */
function queryName(statement: SelectStatement): string {
  // An explicit stack, not JSON.stringify: a 5 000-term WHERE chain nests 5 000 levels deep.
  let h = 0x811c9dc5;
  const feed = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  const stack: unknown[] = [statement];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') {
      feed(`${typeof value}:${String(value)};`);
      continue;
    }
    if (Array.isArray(value)) {
      feed(`[${value.length}`);
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    const entries = Object.entries(value).filter(([key]) => key !== 'position');
    feed(`{${entries.length}`);
    for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i]![1], entries[i]![0]);
  }
  return `q${h.toString(16).padStart(8, '0')}`;
}

/**
 * WHERE, projection and LIMIT of a compiled query as one operator. An evaluation error (division
 * by zero, a failed CAST) fails the query with the source's name and the expression's message.
 */
export function queryOperator(compiled: CompiledQuery): OperatorFunction<Row, Row> {
  const guard = <A, B>(fn: (a: A) => B) => (a: A): B => {
    try {
      return fn(a);
    } catch (err) {
      throw new Error(`query on source "${compiled.source}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  const where: MonoTypeOperatorFunction<Row> = compiled.filter === undefined ? (rows) => rows : filter(guard(compiled.filter));
  const limit: MonoTypeOperatorFunction<Row> = compiled.limit === undefined ? (rows) => rows : take(compiled.limit);
  return pipe(where, map(guard(compiled.project)), limit);
}
