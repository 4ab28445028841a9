import type { PartitionListener } from './PartitionListener.js';

/** Where one attached partition stands. */
export interface PartitionState {
  readonly listener: PartitionListener;
  /** Next offset to read; undefined until resolved from the stored offset or the startup mode. */
  position: bigint | undefined;
  readonly stop: bigint | undefined;
  paused: boolean;
  done: boolean;
  /** Set when kafkajs hit an out-of-range position while reading: resolve under this policy. */
  reset: 'earliest' | 'latest' | undefined;
}

/**
 * The partitions a hub delivers and where each stands (kafkajs' `subscriptionState`, for
 * partitions the source assigns itself): one listener per partition, its position, its pause
 * flag, whether it is done. Pure bookkeeping: what the consumer does about it is the hub's.
 */
export class PartitionStates {
  private readonly states = new Map<number, PartitionState>();

  /** Registers `listener` for its partition; returns the state it replaced, if any. */
  attach(listener: PartitionListener): PartitionState | undefined {
    const { partition, stopOffset } = listener.split;
    const previous = this.states.get(partition);
    this.states.set(partition, {
      listener,
      position: undefined,
      stop: stopOffset === null ? undefined : BigInt(stopOffset),
      paused: false,
      done: false,
      reset: undefined,
    });
    return previous;
  }

  /** Forgets `listener`'s partition if `listener` still holds it; whether it did. */
  detach(listener: PartitionListener): boolean {
    const state = this.current(listener);
    if (state === undefined) return false;
    state.done = true;
    this.states.delete(listener.split.partition);
    return true;
  }

  /** Sets `listener`'s pause flag; whether that changed anything for a partition still read. */
  setPaused(listener: PartitionListener, paused: boolean): boolean {
    const state = this.current(listener);
    if (state === undefined || state.paused === paused) return false;
    state.paused = paused;
    return !state.done;
  }

  /** The state of `partition`, if it is attached. */
  get(partition: number): PartitionState | undefined {
    return this.states.get(partition);
  }

  /** The partitions still being read. */
  live(): PartitionState[] {
    return [...this.states.values()].filter((s) => !s.done);
  }

  private current(listener: PartitionListener): PartitionState | undefined {
    const state = this.states.get(listener.split.partition);
    return state?.listener === listener ? state : undefined;
  }
}
