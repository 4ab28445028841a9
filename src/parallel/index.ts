/**
 * Decoding on worker threads (node:worker_threads): a pool of threads that decode byte ranges of
 * files with a format rebuilt from its description, handing rows back batch by batch with their
 * offsets and at most a window ahead of delivery. The fs connector uses it (`fs.decode.threads`);
 * barriers, checkpoints and the bad-record policy stay on the main thread.
 *
 * Other splits would follow the same shape: an S3 object is a file read with ranged GETs (the
 * same byte ranges and boundary check, the worker fetching its own range); a Kafka, Kinesis or
 * Pulsar partition would hand a worker the raw payloads of a fetched batch (transferred, not
 * copied) and get rows back in order, the offsets staying the broker's.
 *
 * @packageDocumentation
 */
export { DecodePool, type DecodeHandle, type DecodeListener, type DecodePoolOptions } from './DecodePool.js';
export type { FormatSpec } from './FormatSpec.js';
export type { DecodeTask, WorkerBatch, WorkerBadRecord, DecodedRangeBatch } from './decodeProtocol.js';
export { packRows, unpackRows, type PackedRows } from './packedRows.js';
