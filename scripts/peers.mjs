#!/usr/bin/env node
// Provisions and runs the real servers integration tests talk to, on loopback, without Docker.
//
//   node scripts/peers.mjs up [name...]      provision (cached under .peers/) and start; idempotent
//   node scripts/peers.mjs down [name...]    stop what `up` started (pid files), nothing else
//   node scripts/peers.mjs status [name...]  what runs and answers
//   node scripts/peers.mjs clean [name...]   stop and delete data (download caches stay)
//
// One module per peer in scripts/peers/<name>.mjs exporting `peer` = { name, description, up,
// down, clean, status }. Add PostgreSQL, MinIO ... by adding a module and a line below.
const registry = {
  kafka: () => import('./peers/kafka.mjs'),
  moto: () => import('./peers/moto.mjs'),
  pulsar: () => import('./peers/pulsar.mjs'),
  postgres: () => import('./peers/postgres.mjs'),
  // After kafka and postgres: it captures the one into the other.
  debezium: () => import('./peers/debezium.mjs'),
  registry: () => import('./peers/registry.mjs'),
};

const [command = 'help', ...names] = process.argv.slice(2);
const selected = names.length > 0 ? names : Object.keys(registry);

async function main() {
  if (!['up', 'down', 'status', 'clean'].includes(command)) {
    console.log(`usage: node scripts/peers.mjs up|down|status|clean [${Object.keys(registry).join('|')} ...]`);
    process.exitCode = command === 'help' ? 0 : 2;
    return;
  }
  for (const name of selected) {
    if (!(name in registry)) throw new Error(`unknown peer '${name}'; known: ${Object.keys(registry).join(', ')}`);
  }
  const started = Date.now();
  // Stop in reverse order of starting, in case later peers come to depend on earlier ones.
  const order = command === 'up' || command === 'status' ? selected : [...selected].reverse();
  for (const name of order) {
    const { peer } = await registry[name]();
    const result = await peer[command]({});
    if (command === 'status') console.log(JSON.stringify(result));
  }
  if (command === 'up') console.log(`[peers] up in ${((Date.now() - started) / 1000).toFixed(1)}s: ${selected.join(', ')}`);
}

main().catch((err) => {
  console.error(`[peers] ${command} failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
