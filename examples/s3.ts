// S3: the objects under a prefix read with checkpoints. Runnable against the test peers' moto:
//   npm run peers:up && npx tsx examples/s3.ts           (MOTO_ENDPOINT, default http://127.0.0.1:5000)
// Against AWS, drop `endpoint` and `credentials` (the SDK's default chain applies) and name your
// bucket. It creates a bucket of its own, puts two NDJSON objects and a CSV one, reads the NDJSON
// ones (matchPattern) with a bounded scan, checkpointing to a FileStore, and removes the bucket
// and the state directory at the end. In an application the imports are 'tributary',
// 'tributary/s3', 'tributary/formats' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { runWithCheckpoints, toRecords } from '../src/index.js';
import { createS3Source } from '../src/connectors/s3/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

// This example's own S3 client (to set up the bucket) would print the SDK's Node 20 notice;
// tributary's sources keep it quiet for theirs the same way.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const endpoint = process.env['MOTO_ENDPOINT'] ?? 'http://127.0.0.1:5000';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const bucket = `example-events-${process.pid}-${Date.now()}`;
const objects: Record<string, string> = {
  'events/2026/a.ndjson': '{"user":"ada","clicks":3}\n{"user":"bob","clicks":1}\n',
  'events/2026/b.ndjson': '{"user":"cy","clicks":7}\n',
  'events/2026/notes.csv': 'not,an,event\n',
};
const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
const dir = await mkdtemp(join(tmpdir(), 'tributary-example-'));
try {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [key, body] of Object.entries(objects)) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  const events = createS3Source({
    name: 'events',
    bucket,
    prefix: 'events/2026/',
    matchPattern: '*.ndjson',
    endpoint,
    region: 'us-east-1',
    credentials,
    format: createFormat('json'),
    store: await FileStore.open(dir),
  });
  const rows = await lastValueFrom(runWithCheckpoints(events).pipe(toRecords(), tap((row) => console.log(JSON.stringify(row))), toArray()));
  console.log(`s3: ${rows.length} events read from s3://${bucket}/events/2026/`);
} finally {
  for (const key of Object.keys(objects)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  s3.destroy();
  await rm(dir, { recursive: true, force: true });
}
