import { loadPeer } from '../aws/AwsConnection.js';

/** The part of a `pg` client this connector uses. */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>>; fields: Array<{ name: string; dataTypeID: number }> }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** The part of the `pg` module this connector uses. */
export interface PgModule {
  readonly Client: new (config: Record<string, unknown>) => PgClient;
}

/** Loads `pg` (an optional peer dependency) on first use. */
export async function loadPg(): Promise<PgModule> {
  const mod = await loadPeer(() => import('pg'), 'postgres-cdc', 'pg');
  // pg is CommonJS: its exports arrive under `default` when imported from ESM.
  const pg = ((mod as { default?: unknown }).default ?? mod) as { Client: unknown };
  return { Client: pg.Client as PgModule['Client'] };
}
