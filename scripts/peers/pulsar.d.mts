// Types of pulsar.mjs for the TypeScript tests that start and stop brokers of their own.

export interface PulsarOptions {
  /** Directory name under .peers/ (default 'pulsar'). */
  instance?: string;
  host?: string;
  /** Binary protocol (default 6650, or TRIBUTARY_PULSAR_PORT). */
  port?: number;
  /** Admin REST + WebSocket (default 8080, or TRIBUTARY_PULSAR_HTTP_PORT). */
  httpPort?: number;
  /** The embedded bookie (default 3181 + (port - 6650)). */
  bookiePort?: number;
  version?: string;
  heap?: string;
  timeoutMs?: number;
  quiet?: boolean;
  /** Turns token authentication on: the HS256 secret (base64, at least 32 bytes). */
  authSecret?: string;
}

export interface PulsarInstance {
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
  readonly version: string;
  readonly serviceUrl: string;
  readonly adminUrl: string;
  /** The jar cache of this version (complete once it holds a `.complete` marker). */
  readonly dist: string;
  readonly home: string;
  readonly logFile: string;
  readonly pidFile: string;
  /** The peer's own token (role admin), when authentication is on. */
  readonly adminToken: string | undefined;
}

export const DEFAULT_PULSAR_VERSION: string;
export function resolvePulsar(options?: PulsarOptions): PulsarInstance;
export function provisionPulsar(options?: PulsarOptions): Promise<PulsarInstance>;
export function startPulsar(options?: PulsarOptions): Promise<PulsarInstance & { pid: number | undefined; started: boolean }>;
export function stopPulsar(options?: PulsarOptions, stop?: { graceMs?: number }): Promise<boolean>;
export function upPulsar(options?: PulsarOptions): Promise<PulsarInstance & { pid: number | undefined; started: boolean }>;
export function cleanPulsar(options?: PulsarOptions): Promise<void>;
export function pulsarAnswers(adminUrl: string, timeoutMs?: number, token?: string): Promise<boolean>;
export function signToken(secret: string, subject: string): string;
export function statusPulsar(options?: PulsarOptions): Promise<{ name: string; serviceUrl: string; adminUrl: string; pid: number | undefined; answers: boolean }>;
