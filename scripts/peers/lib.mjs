// Shared plumbing for the peer modules in this folder: where things live, timing, pid files,
// waiting for a port. Dependency-free on purpose: `npm run peers:up` must work on a fresh machine
// before anything but Node, Java and Maven is there.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (this file is scripts/peers/lib.mjs). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Git-ignored home of every peer: caches, data, logs, pid files. Symlinks are resolved: Pulsar's
 * bookie writes its journal path into a cookie and refuses to start when the same folder is later
 * reached by another path (a git worktree whose `.peers` links to the main checkout's).
 */
const configuredPeersDir = process.env.TRIBUTARY_PEERS_DIR
  ? resolve(process.env.TRIBUTARY_PEERS_DIR)
  : join(projectRoot, '.peers');
export const peersDir = existsSync(configuredPeersDir) ? realpathSync(configuredPeersDir) : configuredPeersDir;

export function ensureDir(path) {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Prints one line prefixed with the peer's name. */
export function log(peer, message) {
  process.stdout.write(`[peers:${peer}] ${message}\n`);
}

/**
 * Runs `fn` as a named phase and prints how long it took; CI has a fixed budget, so every phase
 * of provisioning is timed.
 */
export async function phase(peer, name, fn) {
  const started = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log(peer, `${name}: ${(ms / 1000).toFixed(1)}s`);
  }
}

/** Runs a command to completion; rejects with its tail of output when it fails. */
export function run(command, args, { cwd, logFile, env } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (data) => {
      output += data.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new Error(`cannot run ${command}: ${err.message} (is it installed and on PATH?)`)));
    child.on('close', (code) => {
      if (logFile) writeFileSync(logFile, output);
      if (code === 0) resolvePromise(output);
      else {
        const tail = output.split('\n').slice(-40).join('\n');
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}${logFile ? ` (log: ${logFile})` : ''}\n${tail}`));
      }
    });
  });
}

/** Whether a process with this pid exists. */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** The command line of a live process, or '' (Linux /proc; elsewhere we trust the pid file). */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return process.platform === 'linux' ? '' : '?';
  }
}

/** Reads a pid file; returns the pid only when that process is alive and looks like ours. */
export function readPidFile(path, marker) {
  if (!existsSync(path)) return undefined;
  const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const cmd = commandLine(pid);
  if (cmd !== '?' && !cmd.includes(marker)) return undefined;
  return pid;
}

export function writePidFile(path, pid) {
  writeFileSync(path, `${pid}\n`);
}

export function removeFile(path) {
  rmSync(path, { force: true });
}

/** Whether something accepts TCP connections on host:port. */
export function portOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns true, `alive` turns false (the process died: fail fast with its
 * log), or `timeoutMs` passes.
 */
export async function waitFor(what, check, { timeoutMs, intervalMs = 250, alive = () => true, onDeath = () => '' }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (!alive()) throw new Error(`${what}: the process exited while starting\n${onDeath()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000}s\n${onDeath()}`);
    await sleep(intervalMs);
  }
}

/** The last `lines` lines of a text file, for error messages. */
export function tail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Stops the process a peer's pid file names (SIGTERM, then SIGKILL after `graceMs`), and removes
 * the pid and env files. Only what `up` started is stopped: no live pid file, nothing to stop.
 * Resolves whether something was stopped.
 */
export async function stopPidFile({ instance, pidFile, envFile, marker, label, graceMs, say }) {
  const pid = readPidFile(pidFile, marker);
  removeFile(envFile);
  if (pid === undefined) {
    removeFile(pidFile);
    say('not running (no live pid file): nothing to stop');
    return false;
  }
  await phase(instance, `stop ${label} (pid ${pid})`, async () => {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      say(`still alive after ${graceMs / 1000}s: SIGKILL`);
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
    }
  });
  removeFile(pidFile);
  return true;
}

/** The maven-dependency-plugin every JVM peer resolves its jars with (pinned: CI reaches only Central). */
export const DEPENDENCY_PLUGIN_VERSION = '3.8.1';

/** Maven settings routing every repository any pom names to Maven Central (the only registry CI reaches). */
const CENTRAL_ONLY_SETTINGS = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/peers/lib.mjs -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <mirrors>
    <mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>https://repo1.maven.org/maven2</url></mirror>
  </mirrors>
</settings>
`;

/**
 * Copies a pom's runtime dependencies into `lib` with mvn, once: a `.complete` marker in `dist`
 * makes later calls free (a half-finished copy has no marker and is redone). `check(jars)` may
 * drop or insist on jars before the marker is written. `centralOnly` routes every repository to
 * Maven Central (parent poms that name unreachable ones). Every JVM peer provisions through this.
 */
export async function copyMavenDependencies({ instance, label, dist, lib, pom, centralOnly = false, check = () => {}, quiet = false }) {
  const marker = join(dist, '.complete');
  if (existsSync(marker)) {
    if (!quiet) log(instance, `${label}: cached in ${lib}`);
    return;
  }
  await phase(instance, `resolve ${label} with mvn`, async () => {
    ensureDir(dist);
    rmSync(lib, { recursive: true, force: true });
    writeFileSync(join(dist, 'pom.xml'), pom);
    const settings = centralOnly ? ['-s', join(dist, 'settings.xml')] : [];
    if (centralOnly) writeFileSync(join(dist, 'settings.xml'), CENTRAL_ONLY_SETTINGS);
    await run('mvn', [
      '-B', '-q', ...settings, '-f', join(dist, 'pom.xml'),
      `org.apache.maven.plugins:maven-dependency-plugin:${DEPENDENCY_PLUGIN_VERSION}:copy-dependencies`,
      `-DoutputDirectory=${lib}`, '-DincludeScope=runtime',
    ], { cwd: dist, logFile: join(dist, 'mvn.log') });
    check(readdirSync(lib));
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  });
}

/** The `java` every JVM peer runs: `$JAVA_HOME/bin/java` when set, else the one on PATH. */
export function javaCommand() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * A pom whose only job is to name the jars a peer runs: `dependencies` are
 * `[groupId, artifactId, version]` triples, resolved by {@link copyMavenDependencies}.
 */
export function mavenPom({ generatedBy, purpose, artifactId, version, dependencies }) {
  const deps = dependencies
    .map(([g, a, v]) => `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by ${generatedBy}: ${purpose} -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tributary.peers</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}
