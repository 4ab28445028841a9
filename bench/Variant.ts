/** What a variant is handed: the data it reads and case-specific settings. */
export interface VariantArgs {
  /** The file or folder to read. */
  readonly path: string;
  /** Rows the data holds (a variant reading an unbounded upstream stops there). */
  readonly rows: number;
  /** Case-specific settings (broker list, topic, state folder ...). */
  readonly options: Readonly<Record<string, string>>;
}

/** What one run of a variant reports; timing and memory are measured around it by `child.ts`. */
export interface VariantResult {
  /** Rows delivered to the consumer: checked against the data set, so a short read never counts. */
  readonly rows: number;
  /** Milliseconds from the start of the run to the first row, when the case measures it. */
  readonly firstRowMs?: number;
  /**
   * Milliseconds from the start of the run to the last row, when the variant has to tear down
   * something slow afterwards (a Kafka consumer leaving its group); the whole run otherwise.
   */
  readonly ms?: number;
  /** Other counts worth keeping (checkpoints taken, ...), copied into results.json. */
  readonly detail?: Readonly<Record<string, number>>;
}

/**
 * One side of a benchmark case: the baseline (a raw client or parser used the way its docs say)
 * or tributary. Each runs alone in a fresh process, so its peak RSS is its own.
 */
export type Variant = (args: VariantArgs) => Promise<VariantResult>;
