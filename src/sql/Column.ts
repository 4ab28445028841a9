import type { SqlType } from './SqlType.js';

/** A declared column of a source: `p_name VARCHAR(55) NOT NULL`. */
export interface Column {
  /** As declared: unquoted names folded to lower case, quoted ones kept as written. */
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
}
