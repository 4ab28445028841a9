import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { Variant } from '../Variant.js';

/**
 * The same transport tributary's Pulsar connector uses, raw: one `ws` connection per partition to
 * the WebSocket reader endpoint (from the earliest message, receiverQueueSize 1000), each message
 * parsed from its JSON envelope, its base64 payload decoded and parsed as JSON (the work
 * tributary's json format does), and a permit sent back at once. Until every message was seen.
 */
export const pulsarWebSocketRaw: Variant = async ({ rows, options }) => {
  const adminUrl = options.adminUrl ?? '';
  const topic = options.topic ?? '';
  const partitions = Number(options.partitions ?? '1');
  const started = performance.now();
  let seen = 0;
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  const sockets: WebSocket[] = [];
  await new Promise<void>((resolve, reject) => {
    for (let p = 0; p < partitions; p++) {
      const socket = new WebSocket(
        `${adminUrl.replace(/^http/, 'ws')}/ws/v2/reader/persistent/public/default/${topic}-partition-${p}?messageId=earliest&receiverQueueSize=1000`,
        { perMessageDeflate: false },
      );
      sockets.push(socket);
      socket.on('error', reject);
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { messageId: string; payload: string };
        if (JSON.parse(Buffer.from(message.payload, 'base64').toString('utf8')) !== undefined) seen++;
        socket.send(JSON.stringify({ messageId: message.messageId }));
        firstRowMs ??= performance.now() - started;
        if (seen === rows) {
          lastRowMs = performance.now() - started;
          resolve();
        }
      });
    }
  });
  for (const socket of sockets) socket.terminate();
  return { rows: seen, ms: lastRowMs, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};
