/**
 * Split leases: processes running the same source name share its splits, each split read and
 * committed by one process at a time (see {@link PostgresSplitLeases}).
 *
 * @module
 */
export type { AssignableSplitLeases, LeasedPosition, LeasedSplit, SplitLeases } from '../core/SplitLeases.js';
export { PostgresSplitLeases, DEFAULT_LEASE_MS, DEFAULT_LEASE_TABLE, type LeaseEvent, type PostgresSplitLeasesOptions } from './PostgresSplitLeases.js';
