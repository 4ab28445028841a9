/**
 * {@link MemoryStore} lives in core: it is the default store of `createSource` and has no
 * dependency beyond the language. This module keeps the old import path working.
 */
export { MemoryStore } from '../core/MemoryStore.js';
