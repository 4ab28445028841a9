/**
 * Keeps one known warning of a client library from the CLI's stderr: on Node 24+ kafkajs 2.2.4
 * (the last release) schedules its request-queue check with `throttledUntil - Date.now()`, which is
 * about minus the current time when it is not throttled, and Node 24 prints a
 * `TimeoutNegativeWarning` for that (kafkajs issue #1751, fixes unmerged). The timer then fires
 * after 1 ms, which is what kafkajs meant: nothing to tell a user of `tributary run`, and three
 * lines on stderr of every Kafka run. Only that warning, only from kafkajs' own frames, is hidden;
 * every other warning (a negative timeout of ours included) still prints.
 *
 * Process-wide, so for the CLI only: a library must not change what its host prints. An app that
 * embeds the Kafka source sees the warning from kafkajs as it would without tributary.
 */
export function hideKnownWarnings(target: Pick<NodeJS.Process, 'emitWarning'> = process): void {
  const emitWarning = target.emitWarning;
  target.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isKafkaJsNegativeTimeout(warning, rest[0])) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as NodeJS.Process['emitWarning'];
}

function isKafkaJsNegativeTimeout(warning: string | Error, typeOrOptions: unknown): boolean {
  const type = typeof typeOrOptions === 'string' ? typeOrOptions : (typeOrOptions as { type?: unknown } | undefined)?.type;
  const name = warning instanceof Error ? warning.name : type;
  if (name !== 'TimeoutNegativeWarning') return false;
  return /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]/.test(new Error().stack ?? '');
}
