// moto's server mode: an AWS emulator (S3, Kinesis and more) in one Python process, on loopback.
// The S3 and Kinesis tests run against s3rver and kinesalite in-process; with moto up they run
// their connector scenarios against a second, independent implementation of both APIs too.
//
//   node scripts/peers.mjs up moto      venv + pip install moto[server] (cached), start on 127.0.0.1:5000
//
// The virtualenv lives outside the clone, in ~/.cache/tributary/moto-venv/<version> (or
// $TRIBUTARY_CACHE/moto-venv/<version>; XDG_CACHE_HOME is honoured): installing moto and its
// dependencies from PyPI takes about two minutes, and a fresh clone or CI checkout on a machine
// (or with a cache directory) that has done it once starts moto in seconds.
//
// Tests find it through MOTO_ENDPOINT, or the .peers/moto.env this writes.
import { openSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ensureDir, isAlive, log, peersDir, phase, portOpen, readPidFile, removeFile, run, tail,
  waitFor, writePidFile, stopPidFile,
} from './lib.mjs';

/** Pinned for reproducible CI; override with MOTO_VERSION. */
export const DEFAULT_MOTO_VERSION = '5.2.5';

/**
 * @typedef {object} MotoOptions
 * @property {string} [instance]   directory name under .peers/ (default 'moto')
 * @property {string} [host]       loopback address (default 127.0.0.1)
 * @property {number} [port]       default 5000, or MOTO_PORT
 * @property {string} [version]    moto version (default MOTO_VERSION or DEFAULT_MOTO_VERSION)
 * @property {number} [timeoutMs]  how long to wait for the server (default 60000)
 * @property {boolean} [quiet]     no progress lines
 */

/** Where installs that outlive a clone are kept (moto's virtualenv; .ci/run's Node too). */
export const cacheDir = process.env.TRIBUTARY_CACHE
  ? process.env.TRIBUTARY_CACHE
  : join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tributary');

/** Resolves defaults and every path of one instance. */
export function resolveMoto(options = {}) {
  const instance = options.instance ?? 'moto';
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number.parseInt(process.env.MOTO_PORT ?? '5000', 10);
  const version = options.version ?? process.env.MOTO_VERSION ?? DEFAULT_MOTO_VERSION;
  const home = join(peersDir, instance);
  const venv = join(cacheDir, 'moto-venv', version);
  return {
    instance, host, port, version,
    timeoutMs: options.timeoutMs ?? 60_000,
    quiet: options.quiet ?? false,
    endpoint: `http://${host}:${port}`,
    home,
    venv,
    server: join(venv, 'bin', 'moto_server'),
    marker: join(venv, '.installed'),
    pidFile: join(home, 'moto.pid'),
    logFile: join(home, 'moto.log'),
    envFile: instance === 'moto' ? join(peersDir, 'moto.env') : join(home, 'moto.env'),
  };
}

const say = (m, message) => { if (!m.quiet) log(m.instance, message); };

/** Creates a virtualenv and installs moto[server] into it, once per version. */
export async function provisionMoto(options) {
  const m = resolveMoto(options);
  if (existsSync(m.marker) && readFileSync(m.marker, 'utf8').trim() === m.version) return m;
  await phase(m.instance, `install moto[server]==${m.version} (pip)`, async () => {
    ensureDir(m.venv);
    const python = process.env.PYTHON ?? 'python3';
    await run(python, ['-m', 'venv', m.venv]);
    await run(join(m.venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `moto[server]==${m.version}`]);
    writeFileSync(m.marker, `${m.version}\n`);
  });
  return m;
}

/** Whether moto answers HTTP on host:port. */
async function motoAnswers(m) {
  try {
    const res = await fetch(`${m.endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Starts the server unless it runs already. Resolves once it answers. */
export async function startMoto(options) {
  const m = resolveMoto(options);
  const running = readPidFile(m.pidFile, 'moto_server');
  if (running !== undefined) {
    await waitFor(`moto (${m.instance})`, () => motoAnswers(m), {
      timeoutMs: m.timeoutMs, alive: () => isAlive(running), onDeath: () => tail(m.logFile),
    });
    say(m, `already running (pid ${running}) on ${m.endpoint}`);
    writeFileSync(m.envFile, `MOTO_ENDPOINT=${m.endpoint}\n`);
    return { ...m, pid: running, started: false };
  }
  removeFile(m.pidFile);
  if (await portOpen(m.host, m.port)) {
    if (await motoAnswers(m)) {
      say(m, `a moto server not started by peers:up answers on ${m.endpoint}; using it as is`);
      writeFileSync(m.envFile, `MOTO_ENDPOINT=${m.endpoint}\n`);
      return { ...m, pid: undefined, started: false };
    }
    throw new Error(`port ${m.host}:${m.port} is taken by something that is not moto; set MOTO_PORT`);
  }
  return phase(m.instance, `start moto on ${m.endpoint}`, async () => {
    ensureDir(m.home);
    const out = openSync(m.logFile, 'a');
    const child = spawn(m.server, ['-H', m.host, '-p', String(m.port)], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' },
    });
    child.unref();
    writePidFile(m.pidFile, child.pid);
    await waitFor(`moto (${m.instance})`, () => motoAnswers(m), {
      timeoutMs: m.timeoutMs, alive: () => isAlive(child.pid), onDeath: () => tail(m.logFile),
    });
    writeFileSync(m.envFile, `MOTO_ENDPOINT=${m.endpoint}\n`);
    return { ...m, pid: child.pid, started: true };
  });
}

/** Stops the server this module started (pid file), nothing else. */
export async function stopMoto(options, { graceMs = 10_000 } = {}) {
  const m = resolveMoto(options);
  return stopPidFile({
    instance: m.instance, pidFile: m.pidFile, envFile: m.envFile, marker: 'moto_server', label: 'moto', graceMs,
    say: (message) => say(m, message),
  });
}

/** provision + start. */
export async function upMoto(options) {
  await provisionMoto(options);
  return startMoto(options);
}

/** Stops the server and deletes its logs (moto keeps its state in memory; the venv stays). */
export async function cleanMoto(options) {
  const m = resolveMoto(options);
  await stopMoto(options);
  rmSync(m.home, { recursive: true, force: true });
  say(m, `removed ${m.home}`);
}

export async function statusMoto(options) {
  const m = resolveMoto(options);
  const pid = readPidFile(m.pidFile, 'moto_server');
  return { name: m.instance, endpoint: m.endpoint, pid, answers: await motoAnswers(m) };
}

/** The module interface scripts/peers.mjs expects of every peer. */
export const peer = {
  name: 'moto',
  description: 'moto server (AWS emulator: S3, Kinesis) on 127.0.0.1:5000',
  up: (options) => upMoto(options),
  down: (options) => stopMoto(options),
  clean: (options) => cleanMoto(options),
  status: (options) => statusMoto(options),
};

// Until scripts/peers.mjs lists it: `node scripts/peers/moto.mjs up|down|status|clean`.
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const command = process.argv[2] ?? 'status';
  if (!(command in peer) || command === 'name' || command === 'description') {
    console.log('usage: node scripts/peers/moto.mjs up|down|status|clean');
    process.exitCode = 2;
  } else {
    peer[command]({}).then(
      (result) => { if (command === 'status') console.log(JSON.stringify(result)); },
      (err) => { console.error(`[peers] moto ${command} failed: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
    );
  }
}
