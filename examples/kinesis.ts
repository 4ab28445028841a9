// Kinesis: a stream's shards read with checkpoints. Runnable against the test peers' moto:
//   npm run peers:up && npx tsx examples/kinesis.ts      (MOTO_ENDPOINT, default http://127.0.0.1:5000)
// Against AWS, drop `endpoint` and `credentials` and name your stream. A Kinesis stream has no
// end, so the source never completes: this one takes the six clicks it put, then unsubscribes
// (a second run with the same store would resume after the last checkpoint).
// It creates the stream and removes it and the state directory at the end. In an application the
// imports are 'tributary', 'tributary/kinesis', 'tributary/formats' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, KinesisClient, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { firstValueFrom, interval, map, take, tap, toArray } from 'rxjs';
import { runWithCheckpoints, toRecords } from '../src/index.js';
import { createKinesisSource } from '../src/connectors/kinesis/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

// This example's own client (to set up the stream) would print the SDK's Node 20 notice;
// tributary's sources keep it quiet for theirs the same way.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const endpoint = process.env['MOTO_ENDPOINT'] ?? 'http://127.0.0.1:5000';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const stream = `example-clicks-${process.pid}-${Date.now()}`;
// HTTP/1.1: the SDK's default HTTP/2 handler is for SubscribeToShard, which moto does not speak.
const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() });
const dir = await mkdtemp(join(tmpdir(), 'tributary-example-'));
const clicks = 6;
try {
  await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 60 }, { StreamName: stream });
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: clicks }, (_, i) => ({ PartitionKey: `user-${i}`, Data: Buffer.from(JSON.stringify({ user: `user-${i}`, page: `/p/${i}` })) })),
    }),
  );

  const source = createKinesisSource({
    name: 'clicks',
    stream,
    endpoint,
    region: 'us-east-1',
    credentials,
    startupMode: 'earliest',
    format: createFormat('json'),
    metadata: { partitionKey: 'pk' },
    store: await FileStore.open(dir),
    // A checkpoint every 200 ms instead of every second: the example is short.
    barriers: interval(200).pipe(map(() => undefined)),
  });
  const rows = await firstValueFrom(
    runWithCheckpoints(source).pipe(toRecords(), tap((row) => console.log(JSON.stringify(row))), take(clicks), toArray()),
  );
  console.log(`kinesis: ${rows.length} clicks read from ${stream}`);
} finally {
  await kinesis.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => undefined);
  kinesis.destroy();
  await rm(dir, { recursive: true, force: true });
}
