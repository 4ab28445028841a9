import type { SchedulerLike } from 'rxjs';
import type { Format, RowConverter } from '../../formats/Format.js';
import type { SharedClient } from './SharedClient.js';

/** What an AWS enumerator needs besides its configuration. @internal */
export interface AwsEnumeratorDeps<H> {
  /** The client the source's enumerator and readers share. */
  readonly clients: SharedClient<H>;
  /** Values scrubbed from error messages. */
  readonly secrets: readonly string[];
  /** Where every wait (polling, pacing, backoff) runs: the source's scheduler. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

/** What an AWS split reader needs besides its configuration. @internal */
export interface AwsReaderDeps<H> extends AwsEnumeratorDeps<H> {
  readonly format: Format;
  /** Schema check and conversion of decoded rows. */
  readonly convert?: RowConverter;
}
