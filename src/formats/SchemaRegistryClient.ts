import { confluentSchemaIds } from './confluentWireFormat.js';

/** One schema as a Confluent-compatible registry serves it by id. */
export interface RegisteredSchema {
  readonly id: number;
  /** `AVRO` (the registry's default when it names none), `PROTOBUF` or `JSON`. */
  readonly type: 'AVRO' | 'PROTOBUF' | 'JSON';
  /** The schema text: Avro JSON, a `.proto` file, a JSON Schema. */
  readonly schema: string;
}

/** The latest version of a subject. */
export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string;
  readonly version: number;
}

/** Options of {@link SchemaRegistryClient}. */
export interface SchemaRegistryOptions {
  /**
   * The base URL of the registry's Confluent API: `http://host:8081` for Confluent's,
   * `http://host:8080/apis/ccompat/v7` for Apicurio. Credentials in it (`http://user:pass@host`)
   * are moved to a Basic authorization header and never shown.
   */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Per request (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** The `fetch` to call (tests pass one that counts calls). */
  readonly fetch?: typeof globalThis.fetch;
}

/** The registry answered that the id or subject does not exist (HTTP 404): the data names a schema nobody registered. */
export class SchemaNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaNotFoundError';
  }
}

/**
 * A client of a Confluent-compatible schema registry (Confluent Schema Registry, Apicurio's
 * `/apis/ccompat/v7`, Redpanda, Karapace): schemas by id, the latest version of a subject.
 *
 * Each id is fetched once: the promise is cached, so concurrent and later lookups share one
 * request (a schema id is immutable in the registry). An id the registry does not know is cached
 * too (a message naming it is a bad record, every time); a failed request (registry down, 5xx,
 * timeout) is not: the next lookup asks again. Errors name the registry by its URL without
 * credentials ({@link SchemaRegistryClient.shownUrl}).
 *
 * @example
 * const registry = new SchemaRegistryClient({ url: 'http://127.0.0.1:18081/apis/ccompat/v7' });
 * const { schema } = await registry.schemaById(1);
 */
export class SchemaRegistryClient {
  /** The URL without user information, for messages. */
  readonly shownUrl: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly byId = new Map<number, Promise<RegisteredSchema>>();
  private readonly settled = new Map<number, RegisteredSchema | SchemaNotFoundError>();
  /** Requests sent, for tests and metrics. */
  requests = 0;

  constructor(options: SchemaRegistryOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error(`schema registry URL is not a URL: ${JSON.stringify(redactUserInfo(options.url))} (expected e.g. http://host:8081)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`schema registry URL must be http:// or https://, got ${url.protocol}//`);
    }
    let username = options.username;
    let password = options.password;
    if (url.username !== '' || url.password !== '') {
      username ??= decodeURIComponent(url.username);
      password ??= decodeURIComponent(url.password);
      url.username = '';
      url.password = '';
    }
    this.base = url.toString().replace(/\/+$/, '');
    this.shownUrl = this.base;
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (username !== undefined && username !== '') {
      this.headers['authorization'] = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  /** The schema of `id` when it has been fetched, the not-found error when the registry has none, else `undefined`. */
  cached(id: number): RegisteredSchema | SchemaNotFoundError | undefined {
    return this.settled.get(id);
  }

  /**
   * Fetches the writer schemas of framed `payloads` (the Confluent wire format) not fetched yet,
   * as a format's `Format.prefetch` does before its batch is decoded: `undefined` when every one is
   * cached. An id the registry does not have settles as not found (its message is a bad record at
   * decode); a registry that does not answer rejects.
   */
  fetchMissing(payloads: readonly (Uint8Array | null)[]): Promise<void> | undefined {
    const missing = [...confluentSchemaIds(payloads)].filter((id) => this.cached(id) === undefined);
    if (missing.length === 0) return undefined;
    return Promise.allSettled(missing.map((id) => this.schemaById(id))).then((results) => {
      for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof SchemaNotFoundError)) throw r.reason;
    });
  }

  /** The schema registered under `id`; rejects with {@link SchemaNotFoundError} when there is none. */
  schemaById(id: number): Promise<RegisteredSchema> {
    let pending = this.byId.get(id);
    if (pending === undefined) {
      pending = this.get(`/schemas/ids/${id}`, `schema id ${id}`).then(
        (body) => {
          const schema = registeredSchema(id, body, this.shownUrl);
          this.settled.set(id, schema);
          return schema;
        },
        (err: unknown) => {
          if (err instanceof SchemaNotFoundError) this.settled.set(id, err);
          else this.byId.delete(id);
          throw err;
        },
      );
      // A rejection nobody awaits (a prefetch racing a close) must not crash the process.
      pending.catch(() => {});
      this.byId.set(id, pending);
    }
    return pending;
  }

  /** The latest version of `subject` (the schema is cached by its id too). */
  async latest(subject: string): Promise<SubjectVersion> {
    const body = await this.get(`/subjects/${encodeURIComponent(subject)}/versions/latest`, `subject ${JSON.stringify(subject)}`);
    const object = body as { id?: unknown; version?: unknown; subject?: unknown };
    if (typeof object.id !== 'number' || typeof object.version !== 'number') {
      throw new Error(`schema registry ${this.shownUrl}: the latest version of subject ${JSON.stringify(subject)} has no id or version`);
    }
    const schema = registeredSchema(object.id, body, this.shownUrl);
    if (!this.settled.has(schema.id)) {
      this.settled.set(schema.id, schema);
      this.byId.set(schema.id, Promise.resolve(schema));
    }
    return { ...schema, subject, version: object.version };
  }

  private async get(path: string, what: string): Promise<unknown> {
    this.requests++;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : causeText(err);
      throw new Error(`schema registry ${this.shownUrl} is unreachable fetching ${what}: ${reason}`, { cause: err });
    }
    const text = await res.text();
    if (res.status === 404) throw new SchemaNotFoundError(`${what} is not in the schema registry ${this.shownUrl}${registryMessage(text)}`);
    if (!res.ok) throw new Error(`schema registry ${this.shownUrl} answered ${res.status} fetching ${what}${registryMessage(text)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`schema registry ${this.shownUrl} answered ${what} with something that is not JSON`);
    }
  }
}

function registeredSchema(id: number, body: unknown, shown: string): RegisteredSchema {
  const object = body as { schema?: unknown; schemaType?: unknown };
  if (typeof object?.schema !== 'string') throw new Error(`schema registry ${shown}: schema id ${id} came without its schema text`);
  const type = object.schemaType === undefined ? 'AVRO' : String(object.schemaType).toUpperCase();
  if (type !== 'AVRO' && type !== 'PROTOBUF' && type !== 'JSON') throw new Error(`schema registry ${shown}: schema id ${id} has the unknown type ${JSON.stringify(object.schemaType)}`);
  return { id, type, schema: object.schema };
}

/** The registry's own explanation (`{"message": ...}`), short. */
function registryMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === 'string') return ` (${message.slice(0, 200)})`;
  } catch {
    // Not JSON: say nothing of it (it may be an HTML page of a proxy).
  }
  return '';
}

/** fetch's `TypeError: fetch failed` hides the reason (ECONNREFUSED) in its cause. */
function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause !== undefined && typeof cause.code === 'string') return `${(err as Error).message} (${cause.code})`;
  return (err as Error).message;
}

/** `http://user:secret@host` → `http://***@host`, for a URL that `URL` cannot parse. */
export function redactUserInfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
