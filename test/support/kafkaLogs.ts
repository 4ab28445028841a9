import { inspect } from 'node:util';

/** What went to stdout and stderr while capturing (kafkajs' log lines go to stderr). */
export interface CapturedOutput {
  /** Stops capturing and returns everything written. */
  stop(): string;
}

/**
 * Captures everything this process writes to stdout and stderr, with kafkajs logging every entry
 * (`TRIBUTARY_KAFKA_LOG_LEVEL=debug`, read when a source creates its client), so that a test can
 * look for a secret in all of it. The writes still reach the terminal.
 */
export function captureKafkaOutput(): CapturedOutput {
  const previousLevel = process.env.TRIBUTARY_KAFKA_LOG_LEVEL;
  process.env.TRIBUTARY_KAFKA_LOG_LEVEL = 'debug';
  let text = '';
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const wrap = (original: typeof process.stdout.write): typeof process.stdout.write =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = wrap(originals.out);
  process.stderr.write = wrap(originals.err);
  return {
    stop: () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      if (previousLevel === undefined) delete process.env.TRIBUTARY_KAFKA_LOG_LEVEL;
      else process.env.TRIBUTARY_KAFKA_LOG_LEVEL = previousLevel;
      return text;
    },
  };
}

/** An error as fully as anything could print it: message, stack, causes and every property. */
export function everything(err: unknown): string {
  return inspect(err, { depth: Infinity, showHidden: true, getters: true, maxArrayLength: Infinity, maxStringLength: Infinity });
}
