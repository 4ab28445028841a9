// Apicurio Registry 3 (a Confluent-compatible schema registry) on loopback, without Docker.
//
//   provision  fetch io.apicurio:apicurio-registry-app:<version>:tar.gz:all (the ready-to-run
//              Quarkus application Apicurio publishes on Maven Central, ~160 MB) with `mvn
//              dependency:copy` and unpack it into .peers/registry-dist/<version> (once per version)
//   start      `java -jar quarkus-run.jar` (Java 21+, found by javaCommand({ minVersion: 21 }))
//              detached, in-memory storage (H2: a restart forgets every schema, which tests do
//              not rely on: each registers the subjects it reads), every listener on 127.0.0.1;
//              wait until the Confluent API answers
//
// The Confluent API is at http://127.0.0.1:<port>/apis/ccompat/v7 (the URL tests and users give as
// `schema.registry`). Starting twice is harmless (a live pid file wins); `stop` only ever signals
// the pid it wrote.
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ensureDir, isAlive, javaCommand, log, peersDir, phase, readPidFile, removeFile, run, stopPidFile, tail, waitFor, writePidFile,
  DEPENDENCY_PLUGIN_VERSION,
} from './lib.mjs';

/** Pinned for reproducible CI; override with APICURIO_VERSION. */
export const DEFAULT_APICURIO_VERSION = '3.3.3';
/** Apicurio 3 is built for Java 21. */
const MIN_JAVA = 21;
/** What the pid file's process runs (the Quarkus launcher jar). */
const MARKER = 'quarkus-run.jar';

const intEnv = (name, fallback) => Number.parseInt(process.env[name] ?? String(fallback), 10);

export function resolveRegistry(options = {}) {
  const instance = options.instance ?? 'registry';
  const version = options.version ?? process.env.APICURIO_VERSION ?? DEFAULT_APICURIO_VERSION;
  const port = options.port ?? intEnv('TRIBUTARY_REGISTRY_PORT', 18081);
  const home = join(peersDir, instance);
  const dist = join(peersDir, 'registry-dist', version);
  return {
    instance, version, port, home, dist,
    // Quarkus's management interface (health, metrics) cannot be switched off at run time (it is
    // fixed when Apicurio is built), so it gets a loopback port of its own beside the API's.
    managementPort: options.managementPort ?? intEnv('TRIBUTARY_REGISTRY_MANAGEMENT_PORT', port + 10),
    heap: options.heap ?? process.env.REGISTRY_HEAP ?? '320m',
    url: `http://127.0.0.1:${port}/apis/ccompat/v7`,
    timeoutMs: options.timeoutMs ?? 180_000,
    quiet: options.quiet ?? false,
    pidFile: join(home, 'registry.pid'),
    logFile: join(home, 'registry.log'),
    envFile: instance === 'registry' ? join(peersDir, 'registry.env') : join(home, 'registry.env'),
  };
}

const say = (r, message) => { if (!r.quiet) log(r.instance, message); };

/** Whether a Confluent-compatible registry answers at `url` (its base, e.g. .../apis/ccompat/v7). */
export async function registryAnswers(url, timeoutMs = 2000) {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function provisionRegistry(options) {
  const r = resolveRegistry(options);
  const marker = join(r.dist, '.complete');
  if (existsSync(marker)) return r;
  await phase(r.instance, `fetch Apicurio Registry ${r.version} with mvn`, async () => {
    rmSync(r.dist, { recursive: true, force: true });
    ensureDir(r.dist);
    const download = join(r.dist, 'download');
    await run('mvn', [
      '-B', '-q',
      `org.apache.maven.plugins:maven-dependency-plugin:${DEPENDENCY_PLUGIN_VERSION}:copy`,
      `-Dartifact=io.apicurio:apicurio-registry-app:${r.version}:tar.gz:all`,
      `-DoutputDirectory=${download}`,
    ], { cwd: r.dist, logFile: join(r.dist, 'mvn.log') });
    const archive = readdirSync(download).find((name) => name.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error(`mvn ran but ${download} has no archive`);
    await run('tar', ['xzf', join(download, archive), '-C', r.dist]);
    rmSync(download, { recursive: true, force: true });
    if (!existsSync(join(r.dist, MARKER))) throw new Error(`the Apicurio archive has no ${MARKER} in ${r.dist}`);
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  });
  return r;
}

function writeEnvFile(r) {
  writeFileSync(r.envFile, `TRIBUTARY_REGISTRY_URL=${r.url}\n`);
}

export async function startRegistry(options) {
  const r = resolveRegistry(options);
  const running = readPidFile(r.pidFile, MARKER);
  if (running !== undefined) {
    await waitFor(`Apicurio Registry (${r.instance})`, () => registryAnswers(r.url), { timeoutMs: r.timeoutMs, alive: () => isAlive(running), onDeath: () => tail(r.logFile) });
    say(r, `already running (pid ${running})`);
    writeEnvFile(r);
    return { ...r, pid: running, started: false };
  }
  if (await registryAnswers(r.url, 1000)) throw new Error(`something else already answers at ${r.url}: stop it or set TRIBUTARY_REGISTRY_PORT`);
  removeFile(r.pidFile);
  ensureDir(r.home);
  const java = javaCommand({ minVersion: MIN_JAVA });
  return phase(r.instance, `start Apicurio Registry ${r.version} (${r.url})`, async () => {
    const out = openSync(r.logFile, 'a');
    const child = spawn(java, [
      `-Xmx${r.heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
      '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${r.port}`,
      '-Dquarkus.management.host=127.0.0.1', `-Dquarkus.management.port=${r.managementPort}`,
      // Its snapshots and imports default to /tmp, shared by every user of the machine.
      `-Dapicurio.storage.snapshot.location=${r.home}`, `-Dapicurio.import.work-dir=${r.home}`,
      '-jar', join(r.dist, MARKER),
    ], { cwd: r.home, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${java}`);
    writePidFile(r.pidFile, child.pid);
    try {
      await waitFor(`Apicurio Registry (${r.instance})`, () => registryAnswers(r.url), {
        timeoutMs: r.timeoutMs, intervalMs: 500, alive: () => isAlive(child.pid), onDeath: () => `--- ${r.logFile}\n${tail(r.logFile)}`,
      });
    } catch (err) {
      if (isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
      removeFile(r.pidFile);
      throw err;
    }
    writeEnvFile(r);
    say(r, `running (pid ${child.pid}); Confluent API ${r.url}; log ${r.logFile}`);
    return { ...r, pid: child.pid, started: true };
  });
}

export async function stopRegistry(options, { graceMs = 15_000 } = {}) {
  const r = resolveRegistry(options);
  return stopPidFile({ instance: r.instance, pidFile: r.pidFile, envFile: r.envFile, marker: MARKER, label: 'Apicurio Registry', graceMs, say: (m) => say(r, m) });
}

export async function upRegistry(options) {
  await provisionRegistry(options);
  return startRegistry(options);
}

/** Stops the registry and removes its folder (its schemas lived in memory anyway). */
export async function cleanRegistry(options) {
  const r = resolveRegistry(options);
  await stopRegistry(options);
  rmSync(r.home, { recursive: true, force: true });
  say(r, `removed ${r.home}`);
}

export async function statusRegistry(options) {
  const r = resolveRegistry(options);
  return { name: r.instance, url: r.url, pid: readPidFile(r.pidFile, MARKER), answers: await registryAnswers(r.url) };
}

export const peer = {
  name: 'registry',
  description: 'Apicurio Registry 3 (Confluent-compatible API under /apis/ccompat/v7), in memory',
  up: (options) => upRegistry(options),
  down: (options) => stopRegistry(options),
  clean: (options) => cleanRegistry(options),
  status: (options) => statusRegistry(options),
};
