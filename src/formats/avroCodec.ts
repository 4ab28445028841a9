import { inflateRawSync } from 'node:zlib';

/** Decompresses one Avro block's data; throws on corrupt input. */
export type AvroDecompress = (data: Buffer) => Buffer;

/** Codecs of Avro object container files this format reads. */
export const avroCodecs = ['null', 'deflate', 'snappy', 'zstandard'] as const;

/**
 * The decompressor for an Avro container file's `avro.codec`. `snappy` and `zstandard` load the
 * optional peer dependencies `snappyjs` and `fzstd` (pure JavaScript) on first use. `bzip2` and
 * `xz` are not supported.
 */
export async function avroDecompressor(codec: string): Promise<AvroDecompress> {
  switch (codec) {
    case 'null':
      return (data) => data;
    case 'deflate':
      // Avro's deflate is raw RFC 1951 data, without zlib header or checksum.
      return (data) => inflateRawSync(data);
    case 'snappy': {
      const snappy = await loadPeer<{ uncompress(input: Uint8Array): Uint8Array }>('snappyjs', codec);
      return (data) => {
        // The Avro spec: each snappy block is followed by the 4-byte big-endian CRC32 of the uncompressed data.
        if (data.length < 4) throw new Error('snappy block shorter than its CRC32');
        const out = Buffer.from(snappy.uncompress(data.subarray(0, data.length - 4)));
        const expected = data.readUInt32BE(data.length - 4);
        const actual = crc32(out);
        if (actual !== expected) {
          throw new Error(`snappy block CRC32 mismatch (stored ${hex(expected)}, computed ${hex(actual)})`);
        }
        return out;
      };
    }
    case 'zstandard': {
      const fzstd = await loadPeer<{ decompress(input: Uint8Array): Uint8Array }>('fzstd', codec);
      return (data) => {
        const out = fzstd.decompress(data);
        return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      };
    }
    default:
      throw new Error(`avro codec '${codec}' is not supported (supported: ${avroCodecs.join(', ')})`);
  }
}

async function loadPeer<T>(name: string, codec: string): Promise<T> {
  try {
    const mod = (await import(name)) as T & { default?: T };
    return mod.default ?? mod;
  } catch (err) {
    throw new Error(`avro codec '${codec}' needs the optional peer dependency '${name}': npm install ${name}`, { cause: err });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), as zlib computes it; Node 20.0-20.14 lack `zlib.crc32`. */
export function crc32(bytes: Uint8Array): number {
  let table = crcTable;
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    crcTable = table;
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
