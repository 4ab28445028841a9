import assert from 'node:assert/strict';
import { test } from 'node:test';
import avsc from 'avsc';
import { createFormat } from '../../src/formats/createFormat.js';
import { registryAvroFormat } from '../../src/formats/registryAvroFormat.js';
import { SchemaRegistryClient } from '../../src/formats/SchemaRegistryClient.js';
import { Session } from '../../src/sql/Session.js';
import { needRegistry, registerSchema, uniqueSubject, wireFormat } from '../support/registry.js';

const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }] };
const v2 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: 'string', default: 'dflt' }] };
const v3 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: 'string', default: 'dflt' }, { name: 'c', type: 'int', default: 0 }] };
const encode = (schema: unknown, id: number, value: unknown): Buffer => wireFormat(id, avsc.Type.forSchema(schema as avsc.Schema).toBuffer(value));

test('registry avro: each schema id is fetched once, however many messages and concurrent prefetches name it; the reader is the latest version when the format starts reading', async (t) => {
  const url = await needRegistry(t);
  if (url === undefined) return;
  const subject = uniqueSubject('once');
  const id1 = await registerSchema(url, subject, v1);
  const id2 = await registerSchema(url, subject, v2);
  const paths: string[] = [];
  const client = new SchemaRegistryClient({
    url,
    fetch: (input, init) => {
      paths.push(new URL(String(input)).pathname.replace(/^.*\/apis\/ccompat\/v7/, ''));
      return fetch(input, init);
    },
  });
  const format = registryAvroFormat({ registry: client, subject });
  const messages = [encode(v1, id1, { a: 1 }), encode(v2, id2, { a: 2, b: 'x' }), encode(v1, id1, { a: 3 })];
  await Promise.all([format.prefetch!(messages), format.prefetch!(messages), format.prefetch!([messages[1]!])]);
  assert.equal(format.prefetch!(messages), undefined, 'all at hand: no promise, decoding stays synchronous');
  // v3 registered after the reader was fixed: its new field is dropped, the columns stay v2's.
  const id3 = await registerSchema(url, subject, v3);
  const newer = encode(v3, id3, { a: 4, b: 'y', c: 9 });
  await format.prefetch!([newer, newer]);
  assert.deepEqual([...messages, newer].map((m) => format.decodeMessage!(m)), [
    { a: 1n, b: 'dflt' },
    { a: 2n, b: 'x' },
    { a: 3n, b: 'dflt' },
    { a: 4n, b: 'y' },
  ]);
  assert.deepEqual(paths.sort(), [`/schemas/ids/${id1}`, `/schemas/ids/${id3}`, `/subjects/${subject}/versions/latest`].sort(), 'v2 came with the latest version');
  // An unknown id is asked once too, and every message naming it is a bad record.
  const unknown = encode(v1, 1_999_999_999, { a: 5 });
  await format.prefetch!([unknown]);
  assert.equal(format.prefetch!([unknown]), undefined);
  assert.throws(() => format.decodeMessage!(unknown), /schema id 1999999999 is not in the schema registry/);
  assert.throws(() => format.decodeMessage!(unknown), /schema id 1999999999 is not in the schema registry/);
  assert.equal(paths.filter((p) => p.endsWith('/1999999999')).length, 1);
});

test('registry avro without a subject reads each message with its own writer schema; a message before its prefetch says so', async (t) => {
  const url = await needRegistry(t);
  if (url === undefined) return;
  const subject = uniqueSubject('own');
  const id1 = await registerSchema(url, subject, v1);
  const id3 = await registerSchema(url, subject, v3);
  const format = createFormat('avro', { 'schema.registry': url });
  const messages = [encode(v1, id1, { a: 1 }), encode(v3, id3, { a: 2, b: 'z', c: 7 })];
  assert.throws(() => format.decodeMessage!(messages[0]!), /has not been fetched .*did not prefetch/);
  await format.prefetch!(messages);
  assert.deepEqual(messages.map((m) => format.decodeMessage!(m)), [{ a: 1n }, { a: 2n, b: 'z', c: 7 }]);
  assert.throws(() => format.decodeMessage!(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8])), /magic byte is 0xc3, expected 0x00 \(it is Avro's single-object encoding\)/);
  assert.throws(() => format.decodeMessage!(Buffer.from([0, 0, 0])), /3 bytes, shorter than the 5-byte header/);
  assert.throws(() => format.decodeMessage!(Buffer.concat([messages[0]!, Buffer.from([1])])), /1 bytes after the Avro datum/);
});

test('schema registry URL: credentials move to a header and never show; a non-http URL is refused', () => {
  const client = new SchemaRegistryClient({ url: 'http://me:s3cr3t-pw@127.0.0.1:1/apis/ccompat/v7/' });
  assert.equal(client.shownUrl, 'http://127.0.0.1:1/apis/ccompat/v7');
  assert.throws(() => new SchemaRegistryClient({ url: 'file:///etc/passwd' }), /must be http:\/\/ or https:\/\//);
  assert.throws(
    () => new SchemaRegistryClient({ url: 'http://me:s3cr3t-pw@[bad' }),
    (err: Error) => !err.message.includes('s3cr3t-pw') && /not a URL/.test(err.message),
  );
  assert.throws(() => createFormat('avro', { 'schema.registry': 'http://r:8081', schema: '"long"' }), /exclude each other/);
});

test('SQL: the registry password (option or in the URL) is a session secret, redacted from what the session reports', () => {
  const session = new Session();
  session.execute(`CREATE SOURCE s WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:1')
    FORMAT PLAIN ENCODE AVRO (schema.registry = 'http://u:url-secret-pw@127.0.0.1:1', schema.registry.username = 'u', schema.registry.password = 'option-secret-pw')`);
  const text = session.redact('failed with url-secret-pw and option-secret-pw');
  assert.ok(!text.includes('url-secret-pw') && !text.includes('option-secret-pw'), text);
  assert.throws(
    () => session.execute(`CREATE SOURCE s2 WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:1') FORMAT PLAIN ENCODE AVRO (schema.registry = 'http://u:bad-url-pw@[x')`),
    (err: Error) => /not a URL/.test(err.message) && !err.message.includes('bad-url-pw'),
  );
});
