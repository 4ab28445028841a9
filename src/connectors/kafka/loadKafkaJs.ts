import type * as KafkaJs from 'kafkajs';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { kafkaDefaults } from './KafkaSourceOptions.js';

/** The kafkajs module, loaded on first use: it is an optional peer dependency. */
export type KafkaJsModule = typeof KafkaJs;

let loaded: Promise<KafkaJsModule> | undefined;

/** Imports kafkajs, or fails with how to install it. */
export function loadKafkaJs(): Promise<KafkaJsModule> {
  loaded ??= import('kafkajs').then(
    (module) => module,
    (err: unknown) => {
      loaded = undefined;
      throw new Error('the Kafka connector needs the kafkajs package: npm install kafkajs', { cause: err });
    },
  );
  return loaded;
}

/**
 * How every kafkajs client and consumer of a source retries: 10 retries by default (`retries`,
 * `kafka.retry.attempts`), backoff from 300 ms doubling (±20 % jitter) up to 2 s, each
 * connection attempt bounded by 1 s. Short backoffs bring a consumer back within ~2 s of a
 * restarted broker; a broker that stays away fails the source within {@link kafkaRetryBudgetMs}
 * per retried operation.
 */
export const KAFKA_RETRY = { retries: kafkaDefaults.retries, initialRetryTime: 300, maxRetryTime: 2_000 } as const;

/** kafkajs' connection timeout, set explicitly so that the retry budget does not depend on its default. */
export const KAFKA_CONNECTION_TIMEOUT_MS = 1_000;

/**
 * kafkajs' request timeout, set explicitly: a listener that accepts connections but never
 * answers (not a Kafka broker, or a hung one) fails a request after this long.
 */
export const KAFKA_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Upper bound of one retried kafkajs operation (connect, fetch, metadata) against a broker that
 * does not answer: `retries + 1` attempts of at most the connection timeout, and the backoffs
 * between them at their largest jitter. About 31 s with the default 10 retries.
 */
export function kafkaRetryBudgetMs(retries: number = KAFKA_RETRY.retries): number {
  let total = (retries + 1) * KAFKA_CONNECTION_TIMEOUT_MS;
  let backoff = Math.ceil(KAFKA_RETRY.initialRetryTime * 1.2);
  for (let i = 0; i < retries; i++) {
    total += backoff;
    backoff = Math.min(Math.ceil(backoff * 1.2) * 2, KAFKA_RETRY.maxRetryTime);
  }
  return total;
}

/** kafkajs log levels by name, for `TRIBUTARY_KAFKA_LOG_LEVEL`. */
const LEVELS: Readonly<Record<string, number>> = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 };

/** Receives every kafkajs log entry of one client, whatever the level printed. */
export type KafkaLogListener = (entry: KafkaJs.LogEntry) => void;

/**
 * Builds a kafkajs client for a source. kafkajs logs go to stderr at the level named by
 * `TRIBUTARY_KAFKA_LOG_LEVEL` (nothing | error | warn | info | debug; default `nothing`: kafkajs logs every retried error, and failures that matter surface as source errors), prefixed with the source name; `listener`
 * sees every entry, which is how the source notices what kafkajs only logs (an offset reset).
 * Credentials are never logged: kafkajs does not log them and neither do we.
 */
export function createKafkaClient(kafkajs: KafkaJsModule, config: KafkaSourceConfig, listener?: KafkaLogListener): KafkaJs.Kafka {
  const printLevel = LEVELS[(process.env.TRIBUTARY_KAFKA_LOG_LEVEL ?? 'nothing').toLowerCase()] ?? 1;
  const logCreator: KafkaJs.logCreator = () => (entry) => {
    listener?.(entry);
    if (entry.level > printLevel || entry.level === 0) return;
    const { message, timestamp: _timestamp, ...extra } = entry.log;
    const detail = Object.keys(extra).length > 0 ? ` ${safeJson(extra)}` : '';
    process.stderr.write(`[tributary kafka '${config.source}'] ${entry.namespace}: ${message}${detail}\n`);
  };
  const sasl: KafkaJs.SASLOptions | undefined = config.sasl
    ? { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as KafkaJs.SASLOptions
    : undefined;
  return new kafkajs.Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    ...(sasl !== undefined ? { sasl } : {}),
    connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeout: KAFKA_REQUEST_TIMEOUT_MS,
    retry: { ...KAFKA_RETRY, retries: config.retries },
    // ERROR at least: the entries the listener needs are errors. logCreator filters what it prints.
    logLevel: Math.max(printLevel, kafkajs.logLevel.ERROR) as KafkaJs.logLevel,
    logCreator,
  });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '';
  }
}
