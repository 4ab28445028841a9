import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { compareMessageIds, decodeMessageId, encodeMessageId, positionAgainstEnd } from '../../../src/connectors/pulsar/messageId.js';
import { pulsarConfigFromProperties } from '../../../src/connectors/pulsar/pulsarProperties.js';
import { parseTopicName, partitionName } from '../../../src/connectors/pulsar/pulsarTopic.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { builtinConnectors } from '../../../src/sql/builtinConnectors.js';
import { resolveConnector } from '../../../src/sql/resolveConnector.js';
import { Session } from '../../../src/sql/Session.js';

const hex = (h: string): string => Buffer.from(h, 'hex').toString('base64');

test('message ids: the WebSocket API’s ids decode (batched and not), encode back, and order by ledger, entry, batch index', () => {
  // As the reader endpoint sent them: ledger 3 entry 0 batch index 1 of 3; ledger 48 entry 6, not batched.
  assert.deepEqual(decodeMessageId(hex('0803100020013003')), { ledgerId: 3n, entryId: 0n, partition: -1, batchIndex: 1, batchSize: 3 });
  assert.deepEqual(decodeMessageId(hex('083010063000')), { ledgerId: 48n, entryId: 6n, partition: -1, batchIndex: -1, batchSize: 0 });
  for (const id of [
    { ledgerId: 0n, entryId: 0n },
    { ledgerId: 12345678901234n, entryId: -1n, partition: 3 },
    { ledgerId: 7n, entryId: 99n, partition: 0, batchIndex: 4 },
  ]) {
    const back = decodeMessageId(encodeMessageId(id));
    assert.equal(back.ledgerId, id.ledgerId);
    assert.equal(back.entryId, id.entryId);
    assert.equal(back.partition, id.partition ?? -1);
    assert.equal(back.batchIndex, id.batchIndex ?? -1);
  }
  const at = (l: number, e: number, b = -1, size = 0) => ({ ledgerId: BigInt(l), entryId: BigInt(e), partition: -1, batchIndex: b, batchSize: size });
  assert.ok(compareMessageIds(at(3, 9), at(4, 0)) < 0);
  assert.ok(compareMessageIds(at(4, 1), at(4, 0)) > 0);
  assert.ok(compareMessageIds(at(4, 1, 2, 5), at(4, 1, 3, 5)) < 0);
  // Bounded end (4,1) reported without a batch index: the whole batch entry is inside.
  assert.equal(positionAgainstEnd(at(4, 1, 2, 5), at(4, 1)), 'before');
  assert.equal(positionAgainstEnd(at(4, 1, 4, 5), at(4, 1)), 'last');
  assert.equal(positionAgainstEnd(at(4, 2), at(4, 1)), 'past');
  assert.equal(positionAgainstEnd(at(5, 0), at(4, 1)), 'past');
  assert.equal(positionAgainstEnd(at(4, 1, 2, 5), at(4, 1, 2)), 'last');
  assert.equal(positionAgainstEnd(at(4, 1, 3, 5), at(4, 1, 2)), 'past');
});

test('message ids: hostile input is refused with an error naming it, never read past its end', () => {
  for (const bad of ['', 'bm90IGEgbWVzc2FnZSBpZA==', hex('08'), hex('0880808080808080808080'), hex('0803'), hex('08031001a2ff'), hex('080310013f')]) {
    assert.throws(() => decodeMessageId(bad), (err: Error) => err instanceof TypeError && err.message.includes('not a Pulsar message id'), bad);
  }
});

test('topic names: the three spellings, partitions, and nothing that changes a URL path', () => {
  assert.equal(parseTopicName('orders').full, 'persistent://public/default/orders');
  assert.equal(parseTopicName('acme/sales/orders').full, 'persistent://acme/sales/orders');
  assert.equal(parseTopicName('non-persistent://acme/sales/orders').full, 'non-persistent://acme/sales/orders');
  assert.equal(partitionName(parseTopicName('orders'), 2).full, 'persistent://public/default/orders-partition-2');
  for (const bad of ['a/b', 'persistent://x/y', '../../admin/v2/x', 'a/b/c?x=1', 'a b', 'a/b/c#d', 'http://a/b/c']) {
    assert.throws(() => parseTopicName(bad), TypeError, bad);
  }
});

const seed = {
  'pulsar.topic': 'orders',
  'pulsar.service.url': 'pulsar://broker:6650',
  'pulsar.admin.url': 'http://broker:8080/',
  'pulsar.scan.startup.mode': 'latest',
  'pulsar.scan.bounded.mode': 'latest',
  'pulsar.auth.token': 'tok',
};
const risingwave = {
  topic: 'orders',
  'service.url': 'pulsar://broker:6650',
  'admin.url': 'http://broker:8080/',
  'scan.startup.mode': 'latest',
  'scan.bounded.mode': 'latest',
  'auth.token': 'tok',
};

test('properties: the seed style and RisingWave’s style give the same configuration', () => {
  const a = pulsarConfigFromProperties(seed);
  assert.deepEqual(pulsarConfigFromProperties(risingwave), a);
  assert.equal(a.topic.full, 'persistent://public/default/orders');
  assert.equal(a.adminUrl, 'http://broker:8080');
  assert.equal(a.webSocketUrl, 'ws://broker:8080');
  assert.equal(a.startupMode, 'latest');
  assert.equal(a.bounded, true);
  assert.equal(a.token, 'tok');
  // Through the SQL resolver: RisingWave's names map to the canonical ones, the connector is pulsar.
  const resolved = resolveConnector('s', Object.entries({ connector: 'pulsar', ...risingwave }).map(([key, value]) => ({ key, value, position: 0 })) as never, builtinConnectors);
  assert.equal(resolved.factory.name, 'pulsar');
  assert.equal(resolved.properties['pulsar.admin.url'], 'http://broker:8080/');
  assert.equal(resolved.properties['pulsar.scan.startup.mode'], 'latest');
});

test('properties: startup timestamp, https admin URLs, metadata columns, and what is refused', () => {
  const ts = pulsarConfigFromProperties({ topic: 't', 'service.url': 'https://b:8443', 'scan.startup.timestamp.millis': '1700000000000' });
  assert.equal(ts.startupMode, 'timestamp', 'a timestamp alone selects the timestamp mode');
  assert.equal(ts.startupTimestampMs, 1_700_000_000_000);
  assert.equal(ts.webSocketUrl, 'wss://b:8443', 'TLS carries over to the WebSocket URL');
  assert.deepEqual(pulsarConfigFromProperties({ topic: 't', 'service.url': 'http://b:8080', 'pulsar.include': 'key as k, publish_time' }).include, [
    { field: 'key', column: 'k' },
    { field: 'publish_time', column: '_pulsar_publish_time' },
  ]);
  assert.throws(() => pulsarConfigFromProperties({ topic: 't', 'service.url': 'pulsar://b:6650' }), /binary protocol.*pulsar\.admin\.url/);
  assert.throws(() => pulsarConfigFromProperties({ topic: 't', 'service.url': 'http://b', 'scan.startup.mode': 'timestamp' }), /needs 'pulsar\.scan\.startup\.timestamp\.millis'/);
  assert.throws(() => pulsarConfigFromProperties({ topic: 't', 'service.url': 'http://b', 'pulsar.include': 'headers' }), /pulsar\.include/);
  assert.throws(() => pulsarConfigFromProperties({ topic: 't', 'service.url': 'http://b', 'pulsar.receiver.queue.size': '1' }), /receiver\.queue\.size/);
  assert.throws(() => pulsarConfigFromProperties({ topic: 't', 'service.url': 'http://b', 'admin.url': 'ftp://b' }), /admin\.url/);
  assert.throws(() => createPulsarSource({ name: 's', topic: 't', adminUrl: 'http://b', format: createFormat('json'), receiverQueueSize: 0 }), /receiverQueueSize/);
});

test('token auth: the token goes out as a Bearer header on admin calls and WebSocket upgrades, and no error shows it', async (t) => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.SIGNATURE-zz9Q';
  const seen: { url: string; authorization: string | undefined; upgrade: boolean }[] = [];
  // A stand-in that answers the partition lookup and refuses the upgrade with 401, as a broker
  // whose token was revoked between the two would (logic of the reader's error path only; the
  // real broker's token check is in pulsarBrokerRestart.long.test.ts).
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, upgrade: req.headers.upgrade !== undefined });
    if (req.url?.endsWith('/partitions')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"partitions":0}');
      return;
    }
    res.writeHead(401, { 'content-type': 'text/plain' }).end(`token ${token} is not valid`);
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, upgrade: true });
    socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: ${24 + token.length}\r\n\r\nbad token ${token} presented`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const session = new Session({ checkpointIntervalMs: 100 });
  session.execute(`CREATE SOURCE s (v INT) WITH (connector = 'pulsar', topic = 'orders', service.url = 'pulsar://x:6650', admin.url = '${adminUrl}', auth.token = '${token}') FORMAT PLAIN ENCODE JSON`);
  const failure = await lastValueFrom(session.query('select v from s').rows.pipe(toArray())).then(
    () => new Error('completed'),
    (err: unknown) => err,
  );
  const shown = [String(failure), (failure as Error).stack ?? '', String((failure as Error).cause ?? '')].join('\n');
  assert.match(shown, /401|authentication/i);
  assert.ok(!shown.includes(token), `the token appears in: ${shown}`);
  assert.ok(seen.some((s) => s.url.endsWith('/partitions') && s.authorization === `Bearer ${token}`), 'admin call carries the token');
  assert.ok(seen.some((s) => s.upgrade && s.url.startsWith('/ws/v2/reader/persistent/public/default/orders') && s.authorization === `Bearer ${token}`), 'upgrade carries the token');
});

test('an unreachable admin API fails the source after its retries, naming what it tried, without the token', async () => {
  const token = 'Hunter2-token-zz9Q';
  // A port nothing listens on: taken, then freed.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const source = createPulsarSource({ name: 'gone', topic: 'orders', adminUrl: `http://127.0.0.1:${port}`, token, format: createFormat('json'), retryAttempts: 2, maxBackoffMs: 10 });
  const failure = await new Promise<unknown>((resolve) => source.subscribe({ error: resolve, complete: () => resolve(new Error('completed')) }));
  assert.match(String(failure), new RegExp(`gone.*listing the partitions of 'persistent://public/default/orders' at http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`, 's'));
  assert.ok(!String(failure).includes(token));
});
