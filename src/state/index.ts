/**
 * State stores: where sources keep their checkpoints.
 *
 * - {@link MemoryStore}: in memory, synchronous (tests, TestScheduler).
 * - {@link FileStore}: one atomically replaced JSON file, durable across crashes (Node).
 * - {@link IdbKeyvalStore}: IndexedDB through the optional peer dependency idb-keyval (browsers).
 * - {@link PostgresStore}: a PostgreSQL table through the optional peer dependency pg (several processes, several hosts).
 *
 * @module
 */
export type { StateStore } from '../core/StateStore.js';
export { MemoryStore } from '../core/MemoryStore.js';
export { FileStore, type FileStoreOptions } from './FileStore.js';
export { IdbKeyvalStore, type IdbKeyvalStoreOptions } from './IdbKeyvalStore.js';
export { PostgresStore, DEFAULT_STATE_TABLE, type PostgresStoreOptions } from './PostgresStore.js';
