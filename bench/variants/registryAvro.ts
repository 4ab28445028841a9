import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { registryAvroFormat } from '../../src/formats/registryAvroFormat.js';
import type { Variant, VariantArgs } from '../Variant.js';

// Both sides time decoding only (`ms`): reading the messages into memory and the one schema
// request each makes (an HTTP round trip to a JVM on a loaded machine) happen before the clock.

/** The case's messages, each a view into one buffer, with the registered schema id written in. */
function messages({ path, options }: VariantArgs): Buffer[] {
  const all = readFileSync(path);
  const id = Number(options['id']);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt32BE(at);
    const message = all.subarray(at + 4, at + 4 + length);
    message.writeUInt32BE(id, 1);
    out.push(message);
    at += 4 + length;
  }
  return out;
}

/**
 * avsc alone, as its docs show: the schema fetched from the registry once by id (as the
 * tributary side does), then `Type.fromBuffer` per message past the 5-byte header.
 */
export const avscMessages: Variant = async (args) => {
  const all = messages(args);
  const res = await fetch(`${args.options['registry']}/schemas/ids/${args.options['id']}`);
  const type = avro.Type.forSchema(JSON.parse(((await res.json()) as { schema: string }).schema) as avro.Schema);
  const byId = new Map([[Number(args.options['id']), type]]);
  const started = performance.now();
  let rows = 0;
  for (const m of all) {
    const t = byId.get(m.readUInt32BE(1))!;
    if (t.fromBuffer(m.subarray(5)) !== null) rows++;
  }
  return { rows, ms: performance.now() - started };
};

/** tributary's registry Avro format: prefetch (one request), then `decodeMessage` per message into rows. */
export const tributaryRegistryAvro: Variant = async (args) => {
  const all = messages(args);
  const format = registryAvroFormat({ registry: { url: args.options['registry']! }, subject: args.options['subject']! });
  await format.prefetch!(all.slice(0, 1));
  const started = performance.now();
  let rows = 0;
  for (const m of all) if (format.decodeMessage!(m) !== null) rows++;
  return { rows, ms: performance.now() - started, detail: { registryRequests: format.registry.requests } };
};
