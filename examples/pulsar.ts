// Pulsar: a topic read with checkpoints over Pulsar's WebSocket API (the `ws` package). Runnable
// against the test peers:
//   npm run peers:up && npx tsx examples/pulsar.ts       (PULSAR_ADMIN_URL, default http://127.0.0.1:8080)
// It creates a topic of its own, produces four messages through the WebSocket producer endpoint,
// reads them back with a bounded source (up to the last message at the start, then complete),
// checkpointing to a FileStore, and deletes the topic and the state directory at the end. In an
// application the imports are 'tributary', 'tributary/pulsar', 'tributary/formats' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import WebSocket from 'ws';
import { runWithCheckpoints, toRecords } from '../src/index.js';
import { createPulsarSource } from '../src/connectors/pulsar/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

const adminUrl = process.env['PULSAR_ADMIN_URL'] ?? 'http://127.0.0.1:8080';
const name = `example-readings-${process.pid}-${Date.now()}`;
const topic = `persistent://public/default/${name}`;
const readings = [20.5, 21, 21.5, 19.75].map((celsius, i) => ({ sensor: `s${i % 2}`, celsius }));

/** Produces `values` in order through the WebSocket producer endpoint; resolves once each is acknowledged. */
async function produce(values: readonly unknown[]): Promise<void> {
  const socket = new WebSocket(`${adminUrl.replace(/^http/, 'ws')}/ws/v2/producer/persistent/public/default/${name}`);
  try {
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const acked = new Promise<void>((resolve, reject) => {
      let count = 0;
      socket.on('message', (data) => {
        const ack = JSON.parse(String(data)) as { result: string; errorMsg?: string };
        if (ack.result !== 'ok') reject(new Error(`produce: ${ack.result} ${ack.errorMsg ?? ''}`));
        else if (++count === values.length) resolve();
      });
    });
    values.forEach((value, i) => socket.send(JSON.stringify({ payload: Buffer.from(JSON.stringify(value)).toString('base64'), context: String(i) })));
    await acked;
  } finally {
    socket.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'tributary-example-'));
try {
  const created = await fetch(`${adminUrl}/admin/v2/persistent/public/default/${name}`, { method: 'PUT' });
  if (!created.ok) throw new Error(`creating ${topic}: ${created.status} ${await created.text()}`);
  await produce(readings);

  const source = createPulsarSource({
    name: 'readings',
    topic,
    adminUrl,
    startupMode: 'earliest',
    bounded: true,
    format: createFormat('json'),
    store: await FileStore.open(dir),
  });
  const rows = await lastValueFrom(runWithCheckpoints(source).pipe(toRecords(), tap((row) => console.log(JSON.stringify(row))), toArray()));
  console.log(`pulsar: ${rows.length} readings read from ${topic}`);
} finally {
  await fetch(`${adminUrl}/admin/v2/persistent/public/default/${name}?force=true`, { method: 'DELETE' }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
