import { propertyReader } from '../propertyReader.js';
import type { PropertySpec } from '../ConnectorFactory.js';

/** Everything a postgres-cdc source is configured with, typed and defaulted. */
export interface PostgresCdcConfig {
  readonly hostname: string;
  /** Default 5432. */
  readonly port: number;
  readonly username: string;
  /** Never appears in errors or logs. */
  readonly password?: string;
  readonly database: string;
  /** Default `public`. */
  readonly schema: string;
  /** One split per table. */
  readonly tables: readonly string[];
  /** Default `tributary_slot`. */
  readonly slotName: string;
  /** Default `tributary_publication`. */
  readonly publicationName: string;
  /** Create the slot when absent (default true); false: a missing slot is an error. */
  readonly slotCreate: boolean;
  /** Create the publication when absent (default true); false: a missing publication is an error. */
  readonly publicationCreate: boolean;
  /**
   * The columns a SQL schema declares (none: every column passes). A column added upstream
   * (ALTER TABLE ... ADD COLUMN) while the source runs that is not among them fails the source
   * naming it, rather than vanishing from every row that follows.
   */
  readonly declaredColumns?: readonly string[];
  /** Read the tables' current rows first, consistent with the slot's start (default true). */
  readonly snapshot: boolean;
  /** Rows a snapshot FETCH reads at once, and most rows in one chunk. Default 4096. */
  readonly batchRows: number;
  /** Reconnects after the server went away before the source fails. Default 20. */
  readonly reconnectAttempts: number;
  /** Longest wait between reconnects. Default 5000. */
  readonly maxBackoffMs: number;
  /** Connect timeout of each connection. Default 10000. */
  readonly connectTimeoutMs: number;
}

export const postgresCdcDefaults = {
  port: 5432,
  schema: 'public',
  slotName: 'tributary_slot',
  publicationName: 'tributary_publication',
  slotCreate: true,
  publicationCreate: true,
  snapshot: true,
  batchRows: 4096,
  reconnectAttempts: 20,
  maxBackoffMs: 5000,
  connectTimeoutMs: 10_000,
} as const satisfies Partial<PostgresCdcConfig>;

/** Properties of `postgres-cdc`, in the seed style (`postgres.*`) with RisingWave's names as aliases. */
export const postgresCdcPropertySpecs: readonly PropertySpec[] = [
  { name: 'postgres.hostname', aliases: ['hostname'], type: 'string', required: true, description: 'Server host name or address.' },
  { name: 'postgres.port', aliases: ['port'], type: 'integer', min: 1, max: 65535, default: String(postgresCdcDefaults.port), description: 'Server port.' },
  { name: 'postgres.username', aliases: ['username'], type: 'string', required: true, description: 'A user with the REPLICATION attribute and SELECT on the tables (and ownership of them to create the publication).' },
  { name: 'postgres.password', aliases: ['password'], type: 'string', secret: true, description: 'Password (never shown in errors or logs).' },
  { name: 'postgres.database.name', aliases: ['database.name'], type: 'string', required: true, description: 'Database.' },
  { name: 'postgres.schema.name', aliases: ['schema.name'], type: 'string', default: postgresCdcDefaults.schema, description: 'Schema of the tables.' },
  { name: 'postgres.table.name', aliases: ['table.name'], type: 'list', required: true, description: 'Table(s) to capture, comma-separated: one split each.' },
  { name: 'postgres.slot.name', aliases: ['slot.name'], type: 'string', default: postgresCdcDefaults.slotName, description: 'Logical replication slot (pgoutput); its confirmed LSN moves only after a checkpoint commits.' },
  { name: 'postgres.publication.name', aliases: ['publication.name'], type: 'string', default: postgresCdcDefaults.publicationName, description: 'Publication listing the tables.' },
  { name: 'postgres.slot.create', aliases: ['slot.create.enable'], type: 'boolean', default: 'true', description: 'Create the slot when absent; false: a missing slot is an error.' },
  { name: 'postgres.publication.create', aliases: ['publication.create.enable'], type: 'boolean', default: 'true', description: 'Create the publication when absent; false: a missing publication is an error.' },
  { name: 'postgres.snapshot', aliases: ['snapshot'], type: 'boolean', default: 'true', description: "Read the tables' rows first, consistent with the slot's starting LSN; false: changes only." },
  { name: 'postgres.batch.rows', type: 'integer', min: 1, max: 1_000_000, default: String(postgresCdcDefaults.batchRows), description: 'Rows per snapshot FETCH and most rows in one chunk.' },
  { name: 'postgres.reconnect.attempts', type: 'integer', min: 0, max: 10_000, default: String(postgresCdcDefaults.reconnectAttempts), description: 'Reconnects after the server went away before the source fails.' },
  { name: 'postgres.reconnect.max.backoff.ms', type: 'integer', min: 1, default: String(postgresCdcDefaults.maxBackoffMs), description: 'Longest wait between reconnects.' },
  { name: 'postgres.connect.timeout.ms', type: 'integer', min: 1, default: String(postgresCdcDefaults.connectTimeoutMs), description: 'Connect timeout of each connection.' },
];

/** Reads a {@link PostgresCdcConfig} from connector properties. Errors name the property, never the password. */
export function postgresCdcConfigFromProperties(properties: Readonly<Record<string, string>>): PostgresCdcConfig {
  const p = propertyReader('postgres-cdc', postgresCdcPropertySpecs, properties);
  const required = (name: string): string => {
    const value = p.get(name);
    if (value === undefined) throw new TypeError(`postgres-cdc connector: property '${name}' is required`);
    return value;
  };
  const tables = required('postgres.table.name').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tables.length === 0) throw new TypeError("postgres-cdc connector: property 'postgres.table.name' names no table");
  const password = p.get('postgres.password');
  return {
    hostname: required('postgres.hostname'),
    port: p.integer('postgres.port'),
    username: required('postgres.username'),
    ...(password !== undefined ? { password } : {}),
    database: required('postgres.database.name'),
    schema: p.get('postgres.schema.name') ?? postgresCdcDefaults.schema,
    tables,
    slotName: p.get('postgres.slot.name') ?? postgresCdcDefaults.slotName,
    publicationName: p.get('postgres.publication.name') ?? postgresCdcDefaults.publicationName,
    slotCreate: p.boolean('postgres.slot.create', postgresCdcDefaults.slotCreate),
    publicationCreate: p.boolean('postgres.publication.create', postgresCdcDefaults.publicationCreate),
    snapshot: p.boolean('postgres.snapshot', postgresCdcDefaults.snapshot),
    batchRows: p.integer('postgres.batch.rows'),
    reconnectAttempts: p.integer('postgres.reconnect.attempts'),
    maxBackoffMs: p.integer('postgres.reconnect.max.backoff.ms'),
    connectTimeoutMs: p.integer('postgres.connect.timeout.ms'),
  };
}

/**
 * The settings of a `pg` connection to the configured server, named `application_name` so that
 * `pg_stat_activity` tells the source's connections apart (the replication stream, the snapshot,
 * the WAL-head probe).
 */
export function pgConnectionSettings(c: PostgresCdcConfig, applicationName: string): Record<string, unknown> {
  return {
    host: c.hostname,
    port: c.port,
    user: c.username,
    ...(c.password !== undefined ? { password: c.password } : {}),
    database: c.database,
    connectionTimeoutMillis: c.connectTimeoutMs,
    application_name: applicationName,
  };
}
