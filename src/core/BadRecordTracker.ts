import { Subject, type Observable } from 'rxjs';
import type { BadRecordHandler, BadRecordPolicy, BadRecordStats, DeadLetter } from './BadRecordHandler.js';
import type { BadRecordError } from './SourceError.js';

const MAX_SAMPLES = 10;

/**
 * The {@link BadRecordHandler} a source hands its readers: applies the policy and keeps the
 * counts, so that no skipped or dead-lettered record goes uncounted.
 */
export class BadRecordTracker implements BadRecordHandler {
  private skippedCount = 0;
  private deadLetteredCount = 0;
  private byteCount = 0;
  private errorCount = 0;
  private readonly sampleList: BadRecordError[] = [];
  private readonly deadLetterSubject = new Subject<DeadLetter>();

  /** Records set aside under the `dead-letter` policy, as they are handled (a source's run hands them over with their chunk). */
  readonly deadLetters$: Observable<DeadLetter> = this.deadLetterSubject.asObservable();

  constructor(readonly policy: BadRecordPolicy = 'fail') {}

  handle(error: BadRecordError, raw: Uint8Array | null): void {
    switch (this.policy) {
      case 'fail':
        throw error;
      case 'skip':
        this.count(error);
        this.skippedCount += error.records;
        if (this.sampleList.length < MAX_SAMPLES) this.sampleList.push(error);
        return;
      case 'dead-letter':
        this.count(error);
        this.deadLetteredCount += error.records;
        if (this.sampleList.length < MAX_SAMPLES) this.sampleList.push(error);
        this.deadLetterSubject.next({ error, raw });
        return;
    }
  }

  private count(error: BadRecordError): void {
    this.errorCount++;
    this.byteCount += error.bytes ?? 0;
  }

  /** A copy of the counts so far. */
  get stats(): BadRecordStats {
    return {
      policy: this.policy,
      skipped: this.skippedCount,
      deadLettered: this.deadLetteredCount,
      bytes: this.byteCount,
      errors: this.errorCount,
      samples: [...this.sampleList],
    };
  }
}
