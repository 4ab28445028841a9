// The avro format loads avsc (an optional peer) on first use; the baseline loads it before its
// clock starts, so this loads it up front too: both sides then time decoding, not module loading.
import 'avsc';
import type { Variant } from '../Variant.js';
import { drain, fileSource } from './tributaryFs.js';

/** tributary's fs connector and avro format (object container file; the writer schema is in it). */
export const tributaryAvro: Variant = (args) => drain(fileSource(args, 'avro'));
