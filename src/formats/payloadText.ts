import { asBuffer } from './asBuffer.js';
import { firstInvalidUtf8, invalidUtf8Message, isValidUtf8 } from './utf8.js';

/** A message payload as text; invalid UTF-8 throws naming the byte (never decoded to U+FFFD). */
export function payloadText(payload: Uint8Array): string {
  const bytes = asBuffer(payload);
  if (!isValidUtf8(bytes, 0, bytes.length)) {
    const at = firstInvalidUtf8(bytes, 0, bytes.length);
    throw new Error(invalidUtf8Message(at, bytes[at]));
  }
  return bytes.toString('utf8');
}
