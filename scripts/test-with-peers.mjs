#!/usr/bin/env node
// The README's test command: starts the real servers (scripts/peers.mjs), runs the whole suite
// with TRIBUTARY_REQUIRE_PEERS=1 so that a missing server fails instead of skipping, and stops
// what it started, whatever the outcome. Exits with the suite's status.
//
// Arguments (default: test marble-tests) choose what runs, and TRIBUTARY_PEERS_KEEP=1 leaves the
// servers up afterwards: .ci/run runs several lanes (two Node lines) on one set of servers, each
// through this script so that every lane gets the same environment.
import { spawnSync } from 'node:child_process';

const run = (args, env = process.env) => spawnSync(process.execPath, args, { stdio: 'inherit', env }).status ?? 1;

const selection = process.argv.length > 2 ? process.argv.slice(2) : ['test', 'marble-tests'];
const keep = process.env.TRIBUTARY_PEERS_KEEP === '1';
const down = () => (keep ? 0 : run(['scripts/peers.mjs', 'down']));

let status = run(['scripts/peers.mjs', 'up']);
if (status !== 0) {
  console.error('[test:peers] starting the peers failed; see the lines above');
  down();
  process.exit(status);
}
try {
  status = run(['scripts/run-tests.mjs', ...selection], {
    ...process.env,
    TRIBUTARY_REQUIRE_PEERS: '1',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    TRIBUTARY_REGISTRY_URL: process.env.TRIBUTARY_REGISTRY_URL ?? `http://127.0.0.1:${process.env.TRIBUTARY_REGISTRY_PORT ?? '18081'}/apis/ccompat/v7`,
  });
} finally {
  down();
}
process.exit(status);
