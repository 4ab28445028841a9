/** kafkajs errors that mean "no broker answered", at any depth of the cause chain. */
const UNREACHABLE = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError']);

/**
 * The message of a source error for a kafkajs failure: says plainly when the brokers could not
 * be reached (kafkajs' own text is only `Connection error: connect ECONNREFUSED ...`, or the
 * message of whatever gave up last) and always names the bootstrap brokers.
 *
 * @example
 * kafkaClientErrorMessage(err, ['127.0.0.1:9092'])
 * // 'cannot reach Kafka brokers 127.0.0.1:9092 (gave up after 10 retries): Connection error: connect ECONNREFUSED 127.0.0.1:9092'
 */
export function kafkaClientErrorMessage(err: unknown, brokers: readonly string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  const retries = (err as { retryCount?: unknown } | null)?.retryCount;
  const gaveUp = typeof retries === 'number' && retries > 0 ? ` (gave up after ${retries} retries)` : '';
  if (unreachableKafka(err)) {
    const detail = message === 'Broker not connected' ? 'connected, but no answer within the request timeout' : message;
    return `cannot reach Kafka brokers ${brokers.join(',')}${gaveUp}: ${detail}`;
  }
  return `Kafka client failed (brokers ${brokers.join(',')})${gaveUp}: ${message}`;
}

/** Whether a kafkajs failure means no broker answered (refused, closed, timed out), at any depth of its cause chain. */
export function unreachableKafka(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (UNREACHABLE.has(e.name)) return true;
    // kafkajs 2.x throws a plain Error with this text for a connection its request timeout closed.
    if (e.message === 'Broker not connected') return true;
    const original = (e as { originalError?: unknown }).originalError;
    if (original instanceof Error && UNREACHABLE.has(original.name)) return true;
  }
  return false;
}

/** The Kafka protocol error type (`UNKNOWN_TOPIC_OR_PARTITION` ...) anywhere in a kafkajs error's cause chain. */
export function kafkaErrorType(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    const original = (e as { originalError?: { type?: unknown } }).originalError;
    if (typeof original?.type === 'string') return original.type;
  }
  return undefined;
}
