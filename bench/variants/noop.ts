import type { Variant } from '../Variant.js';

/** Does nothing: its peak RSS is the floor every variant's process starts from (node + tsx). */
export const noop: Variant = () => Promise.resolve({ rows: 0 });
