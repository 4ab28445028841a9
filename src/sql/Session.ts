import {
  asyncScheduler,
  filter,
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
import { toRecords } from '../core/toRecords.js';
import { createFormat } from '../formats/createFormat.js';
import type { Format, Row } from '../formats/Format.js';
import { MemoryStore } from '../state/MemoryStore.js';
import type { StateStore } from '../state/StateStore.js';
import { builtinConnectors } from './builtinConnectors.js';
import type { Column } from './Column.js';
import { compileQuery, type CompiledQuery, type QueryColumn } from './compileQuery.js';
import { createRowConverter } from './createRowConverter.js';
import type { Schema } from './defineSchema.js';
import { didYouMean } from './didYouMean.js';
import { parseSql } from './parseSql.js';
import { resolveConnector, type GivenProperty } from './resolveConnector.js';
import { resolveFormat } from './resolveFormat.js';
import { findSecretValues, redactError, redactSecrets, SECRET_KEY_PATTERN, MIN_REDACTED_LENGTH, type IsSecretKey } from './secretValues.js';
import { CONNECTOR_SELECTORS, FORMAT_PROPERTIES, MAX_TIMER_DELAY_MS, SOURCE_PROPERTIES } from './commonProperties.js';
import { SqlError, type SqlPosition } from './SqlError.js';
import type { CreateSourceStatement, FormatClause, SelectStatement } from './Statement.js';

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
  /** How formats are built; `createFormat` by default. */
  readonly formats?: FormatFactory;
}

/** A source registered in a session. */
export interface RegisteredSource {
  readonly name: string;
  readonly source: Source<Row>;
  /** Declared columns, or `undefined` when the statement declared none (rows pass as decoded). */
  readonly columns: readonly Column[] | undefined;
  readonly connector: ConnectorFactory;
  readonly format: string;
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
}

/** What one statement did. */
export type StatementResult =
  | { readonly kind: 'create source'; readonly source: RegisteredSource; readonly created: boolean }
  | { readonly kind: 'select'; readonly query: Query };

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
          return statement.kind === 'create source' ? this.createFromStatement(statement) : { kind: 'select', query: this.compile(statement) };
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
    const format: FormatClause = { encode: (typeof options.format === 'string' ? options.format : options.format.name).toLowerCase(), options: [] };
    const extraFormatOptions = typeof options.format === 'string' ? {} : (options.format.options ?? {});
    let registered: RegisteredSource;
    try {
      registered = this.register(name, connectors, options.schema?.columns, given, format, extraFormatOptions, options, undefined);
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

  /** Drops a source from the catalog (its checkpoints stay in the store). */
  dropSource(name: string): boolean {
    return this.registry.delete(name);
  }

  private createFromStatement(statement: CreateSourceStatement): StatementResult {
    const existing = this.registry.get(statement.name);
    if (existing !== undefined) {
      if (statement.ifNotExists) return { kind: 'create source', source: existing, created: false };
      throw new SqlError(`source "${statement.name}" already exists`, statement.position);
    }
    const columns = statement.columns.length > 0 ? statement.columns : undefined;
    const source = this.register(statement.name, this.connectors, columns, statement.properties, statement.format, {}, {}, statement.position);
    return { kind: 'create source', source, created: true };
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
  ): RegisteredSource {
    const resolved = resolveConnector(name, given, connectors);
    for (const spec of resolved.factory.properties) {
      const value = resolved.properties[spec.name];
      if (spec.secret === true && value !== undefined) this.addSecret(value);
    }
    const formatSpec = resolveFormat(name, formatClause, resolved.formatOptions);
    let format: Format;
    try {
      format = this.formats(formatSpec.name, { ...formatSpec.options, ...extraFormatOptions }, columns?.map((c) => c.name));
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
        ...(convert === undefined ? {} : { convert }),
        ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
        ...(badRecords === undefined ? {} : { badRecords }),
        ...(barriers === undefined ? {} : { barriers }),
        ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
        ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      });
    } catch (err) {
      // Factories validate further (a path that is not a directory, a bad combination); their
      // messages must not carry secrets, and the properties are not repeated here.
      throw new SqlError(`source "${name}" (connector ${resolved.factory.name}): ${this.redact(err instanceof Error ? err.message : String(err))}`, position, {
        cause: err,
      });
    }
    const registered: RegisteredSource = { name, source, columns, connector: resolved.factory, format: formatSpec.name };
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
    return {
      source,
      columns: compiled.columns,
      compiled,
      operator,
      rows: checkpointed(source).pipe(toRecords(), operator),
    };
  }
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
