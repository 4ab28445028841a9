// Apache Pulsar standalone (broker + one bookie + RocksDB metadata, one JVM) on loopback, without
// Docker.
//
//   provision  resolve org.apache.pulsar:pulsar-broker and its runtime deps from Maven Central with
//              `mvn` into .peers/pulsar-dist/<version>/lib (once per version). Every repository is
//              routed to Central through a generated settings.xml: Pulsar's parent pom names
//              repositories that are unreachable from CI.
//   start      run `org.apache.pulsar.PulsarStandaloneStarter` detached (no functions worker, no
//              stream storage, WebSocket service on), wait until the admin REST API lists the
//              namespace `public/default` (the standalone creates it last, once the broker serves).
//
// Starting twice is harmless (a live pid file wins); `stop` only ever signals the pid it wrote.
// Several instances can coexist (`instance`, `port`, `httpPort`, `bookiePort`), which the
// broker-restart test uses to bounce a broker of its own without disturbing the shared one.
import { createHmac } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ensureDir, isAlive, log, peersDir, phase, portOpen, readPidFile, removeFile, run, tail,
  waitFor, writePidFile, stopPidFile,
  copyMavenDependencies, javaCommand, mavenPom,
} from './lib.mjs';

/** Pinned for reproducible CI (4.0.8 does not resolve from Central); override with PULSAR_VERSION. */
export const DEFAULT_PULSAR_VERSION = '4.0.7';
const LOG4J_VERSION = '2.24.3';
const MAIN_CLASS = 'org.apache.pulsar.PulsarStandaloneStarter';

/**
 * @typedef {object} PulsarOptions
 * @property {string} [instance]    directory name under .peers/ (default 'pulsar')
 * @property {string} [host]        loopback address (default 127.0.0.1)
 * @property {number} [port]        binary protocol (default 6650, or TRIBUTARY_PULSAR_PORT)
 * @property {number} [httpPort]    admin REST + WebSocket (default 8080, or TRIBUTARY_PULSAR_HTTP_PORT)
 * @property {number} [bookiePort]  the embedded bookie (default 3181 + (port - 6650))
 * @property {string} [version]     Pulsar version (default PULSAR_VERSION or DEFAULT_PULSAR_VERSION)
 * @property {string} [heap]        -Xmx value (default 768m, or PULSAR_HEAP)
 * @property {number} [timeoutMs]   how long to wait for the broker (default 180000)
 * @property {string} [authSecret]  turns token authentication on: the HS256 secret (base64, at
 *                                  least 32 bytes) tokens are signed with (see `signToken`)
 * @property {boolean} [quiet]      no progress lines
 */

const intEnv = (name, fallback) => Number.parseInt(process.env[name] ?? String(fallback), 10);

/** Resolves defaults and every path of one instance. */
export function resolvePulsar(options = {}) {
  const instance = options.instance ?? 'pulsar';
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? intEnv('TRIBUTARY_PULSAR_PORT', 6650);
  const httpPort = options.httpPort ?? intEnv('TRIBUTARY_PULSAR_HTTP_PORT', 8080);
  const bookiePort = options.bookiePort ?? 3181 + (port - 6650);
  const version = options.version ?? process.env.PULSAR_VERSION ?? DEFAULT_PULSAR_VERSION;
  const home = join(peersDir, instance);
  const dist = join(peersDir, 'pulsar-dist', version);
  return {
    instance, host, port, httpPort, bookiePort, version,
    heap: options.heap ?? process.env.PULSAR_HEAP ?? '768m',
    authSecret: options.authSecret,
    /** What the peer itself (and the broker's internal clients) authenticate with, when auth is on. */
    adminToken: options.authSecret !== undefined ? signToken(options.authSecret, 'admin') : undefined,
    timeoutMs: options.timeoutMs ?? 180_000,
    quiet: options.quiet ?? false,
    serviceUrl: `pulsar://${host}:${port}`,
    adminUrl: `http://${host}:${httpPort}`,
    home,
    dist,
    lib: join(dist, 'lib'),
    dataDir: join(home, 'data'),
    config: join(home, 'standalone.conf'),
    log4j: join(home, 'log4j2.properties'),
    pidFile: join(home, 'pulsar.pid'),
    logFile: join(home, 'pulsar.log'),
    envFile: instance === 'pulsar' ? join(peersDir, 'pulsar.env') : join(home, 'pulsar.env'),
  };
}

const say = (p, message) => { if (!p.quiet) log(p.instance, message); };

/**
 * A JWT for `subject`, signed HS256 with the base64 `secret`: what Pulsar's
 * AuthenticationProviderToken accepts with `tokenSecretKey=data:;base64,<secret>`.
 */
export function signToken(secret, subject) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256' })}.${part({ sub: subject })}`;
  return `${unsigned}.${createHmac('sha256', Buffer.from(secret, 'base64')).update(unsigned).digest('base64url')}`;
}

/** pulsar-broker plus log4j2 with its SLF4J 2 binding (Pulsar 4 logs through slf4j-api 2.x). */
function pom(p) {
  return mavenPom({
    generatedBy: 'scripts/peers/pulsar.mjs',
    purpose: 'resolves a runnable Pulsar standalone classpath.',
    artifactId: 'pulsar-standalone',
    version: p.version,
    dependencies: [
      ['org.apache.pulsar', 'pulsar-broker', p.version],
      ['org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION],
      ['org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION],
    ],
  });
}

/** Resolves the jars once per version; a `.complete` marker makes later calls free. */
export async function provisionPulsar(options) {
  const p = resolvePulsar(options);
  // The pulsar-broker parent pom names repositories CI cannot reach: everything goes to Central.
  await copyMavenDependencies({
    instance: p.instance,
    label: `Pulsar ${p.version} jars`,
    dist: p.dist,
    lib: p.lib,
    pom: pom(p),
    centralOnly: true,
    quiet: p.quiet,
    check: (jars) => {
      if (!jars.some((jar) => jar.startsWith('pulsar-broker-'))) throw new Error(`mvn finished but ${p.lib} has no pulsar-broker jar (log: ${join(p.dist, 'mvn.log')})`);
    },
  });
  return p;
}

function standaloneConf(p) {
  return `# Generated by scripts/peers/pulsar.mjs: a single-node Pulsar for tests, every listener on loopback.
clusterName=standalone
bindAddress=${p.host}
advertisedAddress=${p.host}
brokerServicePort=${p.port}
webServicePort=${p.httpPort}
# The connector's transport: the WebSocket API on the web service port.
webSocketServiceEnabled=true
functionsWorkerEnabled=false
# Tests create their topics explicitly: a typo must fail, not create an empty topic.
allowAutoTopicCreation=false
allowAutoSubscriptionCreation=true
# One bookie: every ledger has one copy.
managedLedgerDefaultEnsembleSize=1
managedLedgerDefaultWriteQuorum=1
managedLedgerDefaultAckQuorum=1
# Small ledgers roll over often enough for tests to cross ledger boundaries.
managedLedgerMaxEntriesPerLedger=50000
managedLedgerMinLedgerRolloverTimeMinutes=0
# No load balancing or bundle splits on one node; fewer background threads on two cores.
loadBalancerEnabled=false
numIOThreads=2
numHttpServerThreads=8
numWorkerThreads=2
numOrderedExecutorThreads=2
numExecutorThreadPoolSize=2
bookkeeperClientNumWorkerThreads=2
webSocketNumIoThreads=2
webSocketNumServiceThreads=4
# Stats every 60 s rather than 15 s: less work on a loaded machine.
statsUpdateFrequencyInSecs=60
# Retention: keep acknowledged data (readers have no subscription to hold it) for a day.
defaultRetentionTimeInMinutes=1440
defaultRetentionSizeInMB=-1
brokerDeleteInactiveTopicsEnabled=false
authorizationEnabled=false
# The embedded bookie reads this file too: listen on the loopback interface only, on the port
# given (--bookkeeper-port; without allowEphemeralPorts it would pick a random port on every
# interface).
listeningInterface=lo
allowLoopback=true
allowEphemeralPorts=true
${p.authSecret === undefined ? '' : `# Token authentication (tests of the connector's token auth): tokens signed with this secret.
authenticationEnabled=true
authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken
tokenSecretKey=data:;base64,${p.authSecret}
superUserRoles=admin
brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken
brokerClientAuthenticationParameters=token:${p.adminToken}
`}`;
}

const LOG4J2 = `# Generated by scripts/peers/pulsar.mjs
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c{1})%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.bk.name = org.apache.bookkeeper
logger.bk.level = WARN
logger.zk.name = org.apache.zookeeper
logger.zk.level = WARN
logger.jetty.name = org.eclipse.jetty
logger.jetty.level = WARN
`;

/**
 * Whether the broker serves its admin API and has created `public/default` (the standalone's
 * last setup step): then topics can be created and read.
 */
export async function pulsarAnswers(adminUrl, timeoutMs = 2000, token = undefined) {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/namespaces/public`, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    if (res.status !== 200) return false;
    const namespaces = await res.json();
    return Array.isArray(namespaces) && namespaces.includes('public/default');
  } catch {
    return false;
  }
}

function writeEnvFile(p) {
  writeFileSync(p.envFile, `PULSAR_SERVICE_URL=${p.serviceUrl}\nPULSAR_ADMIN_URL=${p.adminUrl}\n`);
}

/** JVM flags Pulsar's own `bin/pulsar` passes on Java 17 (Netty and BookKeeper reach into the JDK). */
const OPENS = [
  'java.base/java.io', 'java.base/java.nio', 'java.base/sun.nio.ch', 'java.base/jdk.internal.loader',
  'java.base/java.lang', 'java.base/java.util.zip', 'java.management/sun.management',
  'jdk.management/com.sun.management.internal',
].flatMap((pkg) => ['--add-opens', `${pkg}=ALL-UNNAMED`]);

/** Starts the standalone unless it runs already. Resolves once `public/default` exists. */
export async function startPulsar(options) {
  const p = resolvePulsar(options);
  const running = readPidFile(p.pidFile, MAIN_CLASS);
  if (running !== undefined) {
    await waitFor(`Pulsar (${p.instance})`, () => pulsarAnswers(p.adminUrl, 2000, p.adminToken), {
      timeoutMs: p.timeoutMs, alive: () => isAlive(running), onDeath: () => tail(p.logFile),
    });
    say(p, `already running (pid ${running}) on ${p.serviceUrl}, ${p.adminUrl}`);
    writeEnvFile(p);
    return { ...p, pid: running, started: false };
  }
  removeFile(p.pidFile);
  if (await portOpen(p.host, p.httpPort)) {
    if (await pulsarAnswers(p.adminUrl, 2000, p.adminToken)) {
      say(p, `a Pulsar broker not started by peers:up answers on ${p.adminUrl}; using it as is`);
      writeEnvFile(p);
      return { ...p, pid: undefined, started: false };
    }
    throw new Error(`port ${p.host}:${p.httpPort} is taken by something that is not a Pulsar broker; set TRIBUTARY_PULSAR_HTTP_PORT`);
  }
  for (const [what, port, variable] of [['binary', p.port, 'TRIBUTARY_PULSAR_PORT'], ['bookie', p.bookiePort, 'TRIBUTARY_PULSAR_PORT (the bookie port follows it)']]) {
    if (await portOpen(p.host, port)) throw new Error(`${what} port ${p.host}:${port} is taken; set ${variable}`);
  }
  return phase(p.instance, `start standalone on ${p.serviceUrl}, ${p.adminUrl}`, async () => {
    ensureDir(p.home);
    ensureDir(p.dataDir);
    writeFileSync(p.config, standaloneConf(p));
    writeFileSync(p.log4j, LOG4J2);
    const out = openSync(p.logFile, 'a');
    const child = spawn(javaCommand(), [
      `-Xmx${p.heap}`, '-Xms128m', '-XX:MaxDirectMemorySize=512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true', '-Dio.netty.tryReflectionSetAccessible=true',
      '-Dpulsar.allocator.exit_on_oom=true', `-Dlog4j2.configurationFile=${p.log4j}`,
      `-Dpulsar.log.dir=${p.home}`, '-Dzookeeper.4lw.commands.whitelist=*',
      ...OPENS,
      // Extra JVM options, e.g. PULSAR_JVM_OPTS='-XX:TieredStopAtLevel=1' for a faster start.
      ...(process.env.PULSAR_JVM_OPTS ?? '').split(/\s+/).filter(Boolean),
      '-cp', `${p.lib}/*`, MAIN_CLASS,
      '--config', p.config,
      '--no-functions-worker', '--no-stream-storage',
      '--advertised-address', p.host,
      '--bookkeeper-port', String(p.bookiePort),
      '--bookkeeper-dir', join(p.dataDir, 'bookkeeper'),
      '--metadata-dir', join(p.dataDir, 'metadata'),
    ], { detached: true, stdio: ['ignore', out, out], cwd: p.home });
    closeSync(out);
    child.unref();
    const spawnError = new Promise((resolve) => child.once('error', resolve));
    const pid = child.pid;
    if (pid === undefined) {
      const err = await spawnError;
      throw new Error(`cannot start ${javaCommand()}: ${err instanceof Error ? err.message : String(err)} (is Java 17+ installed? set JAVA_HOME)`);
    }
    writePidFile(p.pidFile, pid);
    try {
      await waitFor(`Pulsar (${p.instance})`, () => pulsarAnswers(p.adminUrl, 2000, p.adminToken), {
        timeoutMs: p.timeoutMs, intervalMs: 500, alive: () => isAlive(pid), onDeath: () => `--- ${p.logFile}\n${tail(p.logFile)}`,
      });
    } catch (err) {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      removeFile(p.pidFile);
      throw err;
    }
    writeEnvFile(p);
    say(p, `running (pid ${pid}); log ${p.logFile}; env ${p.envFile}`);
    return { ...p, pid, started: true };
  });
}

/** Stops the standalone this script started (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopPulsar(options, { graceMs = 30_000 } = {}) {
  const p = resolvePulsar(options);
  return stopPidFile({
    instance: p.instance, pidFile: p.pidFile, envFile: p.envFile, marker: MAIN_CLASS, label: 'standalone', graceMs,
    say: (message) => say(p, message),
  });
}

/** provision + start. */
export async function upPulsar(options) {
  await provisionPulsar(options);
  return startPulsar(options);
}

/** Stops the standalone and deletes its data (the jar cache stays). */
export async function cleanPulsar(options) {
  const p = resolvePulsar(options);
  await stopPulsar(options);
  rmSync(p.home, { recursive: true, force: true });
  say(p, `removed ${p.home}`);
}

export async function statusPulsar(options) {
  const p = resolvePulsar(options);
  const pid = readPidFile(p.pidFile, MAIN_CLASS);
  return { name: p.instance, serviceUrl: p.serviceUrl, adminUrl: p.adminUrl, pid, answers: await pulsarAnswers(p.adminUrl, 2000, p.adminToken) };
}

/** The module interface scripts/peers.mjs expects of every peer. */
export const peer = {
  name: 'pulsar',
  description: 'Apache Pulsar standalone (WebSocket API on) on 127.0.0.1:6650 / :8080',
  up: (options) => upPulsar(options),
  down: (options) => stopPulsar(options),
  clean: (options) => cleanPulsar(options),
  status: (options) => statusPulsar(options),
};
