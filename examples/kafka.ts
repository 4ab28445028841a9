// Kafka: a topic read with checkpoints, start to end. Runnable against the test peers:
//   npm run peers:up && npx tsx examples/kafka.ts        (KAFKA_BROKERS, default 127.0.0.1:9092)
// It creates a topic of its own, writes five orders to it with kafkajs, reads them back with a
// bounded source (boundedMode 'latest': up to the end offsets at the start, then complete),
// checkpointing to a FileStore, and removes the topic and the state directory at the end.
// Inside the repository it imports from src/; an application imports the same names from
// 'tributary', 'tributary/kafka', 'tributary/formats' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { runWithCheckpoints, toRecords } from '../src/index.js';
import { createKafkaSource } from '../src/connectors/kafka/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const topic = `example-orders-${process.pid}-${Date.now()}`;
const kafka = new Kafka({ clientId: 'tributary-example', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const dir = await mkdtemp(join(tmpdir(), 'tributary-example-'));
try {
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [1, 2, 3, 4, 5].map((id) => ({ key: `customer-${id % 2}`, value: JSON.stringify({ id, amount: id * 10 }) })),
  });
  await producer.disconnect();

  const orders = createKafkaSource({
    name: 'orders',
    topic,
    brokers,
    boundedMode: 'latest',
    format: createFormat('json'),
    include: [{ field: 'partition', column: 'partition' }],
    store: await FileStore.open(dir),
  });
  const rows = await lastValueFrom(
    runWithCheckpoints(orders).pipe(
      toRecords(),
      tap((row) => console.log(JSON.stringify(row))),
      toArray(),
    ),
  );
  await orders.closed();
  console.log(`kafka: ${rows.length} orders read from ${topic}`);
} finally {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await rm(dir, { recursive: true, force: true });
}
