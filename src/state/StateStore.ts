/**
 * The store seam belongs to core (sources write checkpoints through it, and core imports nothing
 * above it); this module keeps the old import path working.
 */
export type { StateStore } from '../core/StateStore.js';
