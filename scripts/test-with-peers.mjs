#!/usr/bin/env node
// The README's test command: starts the real servers (scripts/peers.mjs), runs the whole suite
// with TRIBUTARY_REQUIRE_PEERS=1 so that a missing server fails instead of skipping, and stops
// what it started, whatever the outcome. Exits with the suite's status.
import { spawnSync } from 'node:child_process';

const run = (args, env = process.env) => spawnSync(process.execPath, args, { stdio: 'inherit', env }).status ?? 1;

let status = run(['scripts/peers.mjs', 'up']);
if (status !== 0) {
  console.error('[test:peers] starting the peers failed; see the lines above');
  run(['scripts/peers.mjs', 'down']);
  process.exit(status);
}
try {
  status = run(['scripts/run-tests.mjs', 'test', 'marble-tests'], {
    ...process.env,
    TRIBUTARY_REQUIRE_PEERS: '1',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    TRIBUTARY_REGISTRY_URL: process.env.TRIBUTARY_REGISTRY_URL ?? `http://127.0.0.1:${process.env.TRIBUTARY_REGISTRY_PORT ?? '18081'}/apis/ccompat/v7`,
  });
} finally {
  run(['scripts/peers.mjs', 'down']);
}
process.exit(status);
