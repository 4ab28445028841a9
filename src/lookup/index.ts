/**
 * Lookup tables and the lookup join: enrich a stream with rows kept in memory from a file, an
 * object or any scan, rebuilt when the upstream changes.
 *
 * @packageDocumentation
 */
export { LookupTable, type Lookup, type LookupKey, type LookupTableOptions } from './LookupTable.js';
export { lookupJoin, DEFAULT_LOOKUP_CACHE_SIZE, type LookupJoinOptions, type LookupJoinCombineOptions } from './lookupJoin.js';
export { LruCache } from './LruCache.js';
export { lookupKeyOf } from './lookupKeyOf.js';
