import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Whether `bytes[start, end)` is valid UTF-8. Both checks are native and SIMD (simdutf), so the
 * common cases cost next to nothing: ASCII, or valid text.
 */
export function isValidUtf8(bytes: Buffer, start: number, end: number): boolean {
  // A whole message is checked as it is: a view per message was a Buffer allocation each.
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return isAscii(view) || isUtf8(view);
}

/**
 * The position of the first byte of `bytes[start, end)` that starts an invalid UTF-8 sequence
 * (an unexpected continuation byte, a truncated or overlong sequence, a surrogate, beyond
 * U+10FFFF), or -1 when it is all valid. Hand-written for the error message only: it runs on a
 * record already known to be invalid.
 */
export function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    // Fewer bytes left than the sequence needs.
    if (i + need >= end) return i;
    const second = bytes[i + 1] as number;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The message of a bad record holding invalid UTF-8 at byte `position`. */
export function invalidUtf8Message(position: number, byte: number | undefined): string {
  const hex = byte === undefined ? '' : ` (0x${byte.toString(16).padStart(2, '0')})`;
  return `invalid UTF-8 at byte ${position}${hex}`;
}
