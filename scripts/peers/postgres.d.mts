// Types of postgres.mjs for the TypeScript tests that start and stop servers of their own.

export interface PostgresOptions {
  /** Directory name under .peers/ (default 'postgres'). */
  instance?: string;
  host?: string;
  /** Default TRIBUTARY_PG_PORT or 55432. */
  port?: number;
  timeoutMs?: number;
  quiet?: boolean;
}

export interface PostgresInstance {
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly home: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export const PG_USER: string;
export const PG_PASSWORD: string;
export const PG_DATABASE: string;
export function resolvePostgres(options?: PostgresOptions): PostgresInstance;
export function upPostgres(options?: PostgresOptions): Promise<PostgresInstance & { pid: number | undefined; started: boolean }>;
export function startPostgres(options?: PostgresOptions): Promise<PostgresInstance & { pid: number | undefined; started: boolean }>;
export function stopPostgres(options?: PostgresOptions, stop?: { graceMs?: number; immediate?: boolean }): Promise<boolean>;
export function cleanPostgres(options?: PostgresOptions): Promise<void>;
export const peer: {
  name: string;
  description: string;
  up(options?: PostgresOptions): Promise<unknown>;
  down(options?: PostgresOptions): Promise<unknown>;
  clean(options?: PostgresOptions): Promise<unknown>;
  status(options?: PostgresOptions): Promise<unknown>;
};
