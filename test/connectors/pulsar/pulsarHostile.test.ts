import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { SourceError } from '../../../src/core/SourceError.js';
import type { PulsarReconnectEvent } from '../../../src/connectors/pulsar/PulsarReconnectEvent.js';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';

// A stand-in for the WebSocket service that misbehaves in ways a real broker only does when
// something is badly wrong (logic of the reader's error paths; the real broker's behaviour is in
// the other files of this folder).

async function standIn(onConnection: (socket: import('ws').WebSocket) => void): Promise<{ adminUrl: string; close(): void; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/partitions')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"partitions":0}');
    else if (req.url?.endsWith('/lastMessageId')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ledgerId":3,"entryId":5,"partitionIndex":-1,"batchIndex":-1}');
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    connections++;
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    adminUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close();
    },
  };
}

const failureOf = (source: ReturnType<typeof createPulsarSource>): Promise<unknown> =>
  new Promise((resolve) => source.subscribe({ error: resolve, complete: () => resolve(new Error('completed')) }));

test('a frame that is not a reader message fails the source at once, naming split and position, without reconnecting', async (t) => {
  const server = await standIn((socket) => {
    socket.send(JSON.stringify({ messageId: 'CAMQACAAMAA=', payload: Buffer.from('{"v":1}').toString('base64'), publishTime: '2024-01-01T00:00:00Z' }));
    socket.send('<html>proxy error</html>');
  });
  t.after(() => server.close());
  const source = createPulsarSource({ name: 'garbage', topic: 'orders', adminUrl: server.adminUrl, format: createFormat('json'), maxBackoffMs: 10 });
  const failure = await failureOf(source);
  assert.ok(failure instanceof SourceError, String(failure));
  assert.equal(failure.split, 'persistent://public/default/orders');
  assert.equal(failure.offset, 'CAMQACAAMAA=', 'the position of the last message delivered before it');
  assert.match(failure.message, /not a reader message/);
  assert.equal(server.connections(), 1);
});

test('a message id that is not one fails the bounded check loudly instead of reading past the end', async (t) => {
  const server = await standIn((socket) => {
    socket.send(JSON.stringify({ messageId: 'AAAA', payload: Buffer.from('{"v":1}').toString('base64'), publishTime: '2024-01-01T00:00:00Z' }));
  });
  t.after(() => server.close());
  const source = createPulsarSource({ name: 'bad-id', topic: 'orders', adminUrl: server.adminUrl, format: createFormat('json'), bounded: true });
  const failure = await failureOf(source);
  assert.ok(failure instanceof SourceError, String(failure));
  assert.equal(failure.split, 'persistent://public/default/orders');
  assert.match(failure.message, /not a Pulsar message id: 'AAAA'/);
  assert.equal(server.connections(), 1, 'not retried');
});

test('a service that accepts and drops every connection: reconnects with backoff, then fails naming the attempts', async (t) => {
  const server = await standIn((socket) => socket.terminate());
  t.after(() => server.close());
  const events: PulsarReconnectEvent[] = [];
  const source = createPulsarSource({ name: 'flaky', topic: 'orders', adminUrl: server.adminUrl, format: createFormat('json'), retryAttempts: 3, maxBackoffMs: 20, onReconnect: (e) => events.push(e) });
  const failure = await failureOf(source);
  assert.ok(failure instanceof SourceError, String(failure));
  assert.match(failure.message, /gave up after 4 failed attempts in a row/);
  assert.deepEqual(events.map((e) => e.attempt), [1, 2, 3]);
  assert.equal(server.connections(), 4);
});
