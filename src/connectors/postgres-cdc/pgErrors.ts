import type { PostgresCdcConfig } from './postgresCdcProperties.js';

/** What went wrong with a PostgreSQL call, worded for the user, and whether waiting may cure it. */
export interface PgFailure {
  readonly message: string;
  /** The server went away or refuses connections for now (restart, failover, network): reconnect. */
  readonly transient: boolean;
}

const TRANSIENT_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004']);
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Turns an error of `pg` or of the server into a message a user can act on. The message names
 * server, user, slot and tables as needed, never the password; `doing` says what was under way.
 */
export function describePgError(err: unknown, config: PostgresCdcConfig, doing: string): PgFailure {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; detail?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const server = `${config.hostname}:${config.port}`;
  const text = (what: string): string => `postgres-cdc (${server}, database '${config.database}', while ${doing}): ${what}`;
  if (/wal_level/.test(raw)) {
    return { transient: false, message: text(`the server's wal_level is not 'logical' (${raw}); set wal_level = logical in postgresql.conf and restart PostgreSQL`) };
  }
  if (code === '55006' || /replication slot .* is active/.test(raw)) {
    return { transient: false, message: text(`replication slot '${config.slotName}' is held by another consumer (${raw}); stop that consumer or use another slot.name`) };
  }
  if (code === '42501' || /permission denied|must be (?:superuser|owner)|replication role|REPLICATION attribute/.test(raw)) {
    return {
      transient: false,
      message: text(`user '${config.username}' lacks a privilege (${raw}); it needs the REPLICATION attribute (ALTER ROLE ${config.username} REPLICATION), SELECT on the tables and, to create the publication, ownership of them (or create publication '${config.publicationName}' beforehand)`),
    };
  }
  if (code === '28P01' || code === '28000') {
    return { transient: false, message: text(`authentication of user '${config.username}' failed (${raw.replace(/"[^"]*"/g, (q) => (q.includes(config.password ?? '\u0000') ? '"***"' : q))})`) };
  }
  if (code === '3D000') return { transient: false, message: text(`database '${config.database}' does not exist`) };
  const nodeCode = code !== '' ? code : '';
  if (TRANSIENT_CODES.has(code) || TRANSIENT_NODE.has(nodeCode) || /Connection terminated|server closed the connection|terminating connection|timeout expired|the database system is (?:starting up|shutting down|in recovery)/i.test(raw)) {
    return { transient: true, message: text(`the server is unreachable or went away (${raw})`) };
  }
  return { transient: false, message: text(raw) };
}
