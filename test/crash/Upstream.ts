// What the crash harness needs from the data a job reads: the source statement, every row id the
// upstream holds, and which of them a committed checkpoint covers.

/** A split's position as a checkpoint stores it (src/core/SourceSplit.ts `SplitPosition`). */
export interface StoredPosition {
  readonly offset: string | null;
  readonly finished: boolean;
}

/** The committed checkpoint of one source: split id -> position. Empty before the first commit. */
export type CommittedPositions = ReadonlyMap<string, StoredPosition>;

/**
 * The upstream of a crash scenario. Every row it holds carries a unique `id` column; the
 * harness checks delivery by id, and maps a checkpoint back to ids with {@link covered}.
 */
export interface Upstream {
  /** The source's name in the SQL (its checkpoint keys start with it). */
  readonly source: string;
  /** Writes the initial data. */
  setUp(): Promise<void>;
  /** The CREATE SOURCE statement (a `SELECT id, pad` over it follows). */
  createSourceSql(): string;
  /** Every row id written so far. */
  ids(): readonly string[];
  /**
   * Ids of the rows that lie before the committed positions: a run restored from them must not
   * deliver these again, and they must have reached the consumer before the checkpoint.
   */
  covered(positions: CommittedPositions): string[];
  /** Whether the positions cover every row written so far (an unbounded job is then done). */
  coversAll(positions: CommittedPositions): boolean;
  /** Changes made while no run is going (appends, new files, produced messages). */
  betweenRuns(positions: CommittedPositions): Promise<void>;
  /** Changes made while a run is going, or `undefined` for none. */
  readonly duringRun?: () => Promise<void>;
  /** Checks, after the last run, that the harness's picture of the upstream is the upstream's. */
  verify?(): Promise<void>;
  tearDown(): Promise<void>;
}
