import avro from 'avsc';
import type { Variant } from '../Variant.js';

/** avsc's own container-file decoder (`createFileDecoder`), one object per record. */
export const avscDecoder: Variant = ({ path }) =>
  new Promise((resolve, reject) => {
    let rows = 0;
    const decoder = avro.createFileDecoder(path);
    decoder.on('data', () => rows++);
    decoder.on('error', reject);
    decoder.on('end', () => resolve({ rows }));
  });
