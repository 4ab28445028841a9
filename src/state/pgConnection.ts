/**
 * The `pg` client as the PostgreSQL state store and split leases use it: loaded on first use (an
 * optional peer dependency), connected from a `postgres://` URL whose password never reaches a
 * message.
 * @internal
 */

/** The part of a `pg` client used here. */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

type PgClientClass = new (config: Record<string, unknown>) => PgClient;

/** Where to connect: a `postgres://user:password@host:port/database` URL, or pg's own config object. */
export type PgConnection = string | Readonly<Record<string, unknown>>;

/** Whether `text` names a PostgreSQL database (`postgres://` or `postgresql://`), as `--state` accepts. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/**
 * `url` with its password replaced by `***`, for messages and logs. Text that is not a URL comes
 * back with everything between `://` and `@` masked, so a malformed URL cannot leak either.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/(:\/\/[^/@]*?:)[^/@]*@/, '$1***@');
  }
}

/**
 * The secrets a connection carries (its password, raw and URL-decoded), to scrub from any text.
 * A password equal to the user or database name is not listed: those names are printed anyway
 * (so scrubbing hides nothing), and scrubbing them would mangle every message that names them.
 */
export function connectionSecrets(connection: PgConnection): string[] {
  let password: string;
  let names: string[];
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      password = url.password;
      names = [url.username, url.pathname.slice(1)].map(safeDecode);
    } catch {
      return [];
    }
  } else {
    const value = connection['password'];
    password = typeof value === 'string' ? value : '';
    names = [connection['user'], connection['database']].map((n) => (typeof n === 'string' ? n : ''));
  }
  if (password === '') return [];
  return [...new Set([password, safeDecode(password)])].filter((p) => p !== '' && !names.includes(p));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** How a connection is named in messages: the URL without its password, or host:port/database. */
export function describeConnection(connection: PgConnection): string {
  if (typeof connection === 'string') return redactUrl(connection);
  const { host, port, database } = connection as { host?: unknown; port?: unknown; database?: unknown };
  return `postgres ${String(host ?? 'localhost')}:${String(port ?? 5432)}/${String(database ?? '')}`;
}

/**
 * Replaces the password of any URL in `text`, and every one of `secrets`, with `***`.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/@]*@/gi, '$1***@');
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

let pgClass: Promise<PgClientClass> | undefined;

async function loadPgClient(what: string): Promise<PgClientClass> {
  pgClass ??= import('pg').then((mod) => {
    // pg is CommonJS: its exports arrive under `default` when imported from ESM.
    const pg = ((mod as { default?: unknown }).default ?? mod) as { Client: unknown };
    return pg.Client as PgClientClass;
  });
  try {
    return await pgClass;
  } catch (err) {
    pgClass = undefined;
    throw new Error(`${what} needs the optional peer dependency 'pg': run \`npm install pg\``, { cause: err });
  }
}

/**
 * Bounds on a connection that stops answering, for {@link connectPg}. No `query_timeout`: pg
 * measures it with a timer that, after a pause of the process (SIGSTOP, a long GC), fires before
 * the answer already waiting in the socket is read, failing a query that did not hang.
 */
export interface PgLimits {
  /** TCP keepalive from this idle time on, so a peer gone without a FIN is noticed. */
  readonly keepAliveMs?: number;
}

/**
 * Opens one connection. Errors name the server without the password (pg's own messages do not
 * carry it, but a message built from the URL would), and have every secret scrubbed anyway.
 */
export async function connectPg(what: string, connection: PgConnection, limits: PgLimits = {}): Promise<PgClient> {
  const Client = await loadPgClient(what);
  const config: Record<string, unknown> = typeof connection === 'string' ? { connectionString: connection } : { ...connection };
  // The caller's own settings win over this default of ours.
  if (limits.keepAliveMs !== undefined && config['keepAlive'] === undefined) {
    config['keepAlive'] = true;
    config['keepAliveInitialDelayMillis'] = limits.keepAliveMs;
  }
  const client = new Client(config);
  // A connection that breaks later is reported by the next query's rejection; without a
  // listener, pg's 'error' event would crash the process instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    const message = scrub(err instanceof Error ? err.message : String(err), connectionSecrets(connection));
    throw new Error(`${what}: cannot connect to ${describeConnection(connection)}: ${message}`);
  }
  return client;
}

/** A PostgreSQL identifier (optionally schema-qualified) that may go into SQL text unquoted. */
export function checkTableName(table: string, what: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/.test(table)) {
    throw new TypeError(`${what}: table name '${table}' must be lower-case letters, digits and _ (optionally schema.table)`);
  }
  return table;
}
