// Types of kafka.mjs for the TypeScript tests that start and stop brokers of their own.

export interface KafkaOptions {
  /** Directory name under .peers/ (default 'kafka'). */
  instance?: string;
  host?: string;
  /** Client listener (default 9092, or KAFKA_PORT). */
  port?: number;
  /** Controller listener (default port + 1). */
  controllerPort?: number;
  version?: string;
  heap?: string;
  timeoutMs?: number;
  quiet?: boolean;
}

export interface KafkaInstance {
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  readonly brokers: string;
  /** The jar cache of this version (complete once it holds a `.complete` marker). */
  readonly dist: string;
  readonly home: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export const DEFAULT_KAFKA_VERSION: string;
export function resolveKafka(options?: KafkaOptions): KafkaInstance;
export function provisionKafka(options?: KafkaOptions): Promise<KafkaInstance>;
export function formatKafka(options?: KafkaOptions): Promise<KafkaInstance>;
export function startKafka(options?: KafkaOptions): Promise<KafkaInstance & { pid: number | undefined; started: boolean }>;
export function stopKafka(options?: KafkaOptions, stop?: { graceMs?: number }): Promise<boolean>;
export function upKafka(options?: KafkaOptions): Promise<KafkaInstance & { pid: number | undefined; started: boolean }>;
export function cleanKafka(options?: KafkaOptions): Promise<void>;
export function kafkaAnswers(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export function statusKafka(options?: KafkaOptions): Promise<{ name: string; brokers: string; pid: number | undefined; answers: boolean }>;
