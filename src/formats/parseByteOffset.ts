import { SourceError } from '../core/SourceError.js';
import type { DecodeContext } from './Format.js';

/**
 * Reads a stored byte offset (`"1234"`), or 0 for `null`. A string that is not a non-negative
 * integer is not a position this format produced: an error, never a silent restart from 0.
 */
export function parseByteOffset(offset: string | null, context: DecodeContext, format: string): number {
  if (offset === null) return 0;
  if (!/^(0|[1-9][0-9]*)$/.test(offset) || !Number.isSafeInteger(Number(offset))) {
    throw new SourceError(`${format}: invalid offset ${JSON.stringify(offset)}, expected a byte position`, {
      source: context.source,
      split: context.splitId,
    });
  }
  return Number(offset);
}
