import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectorFactory } from '../../src/connectors/ConnectorFactory.js';
import { parseSql } from '../../src/sql/parseSql.js';
import { findSecretValues, redactSecrets } from '../../src/sql/secretValues.js';
import { Session } from '../../src/sql/Session.js';
import { SqlError } from '../../src/sql/SqlError.js';

const SECRET = 'Hunter2-zz9Q';

/** A connector that declares a secret under a name no pattern would guess, and echoes it on failure. */
const vault: ConnectorFactory = {
  name: 'vault',
  connectorNames: ['vault'],
  description: 'test connector',
  properties: [
    { name: 'vault.pin', type: 'string', secret: true, description: 'PIN.' },
    { name: 'vault.retries', type: 'integer', description: 'Retries.' },
    { name: 'vault.user', type: 'string', description: 'User.' },
  ],
  create(context) {
    throw new Error(`cannot open vault as ${context.properties['vault.user']} with ${context.properties['vault.pin']}`);
  },
};

test('findSecretValues: values after secret names, wherever and however written', () => {
  assert.deepEqual(findSecretValues(`with (properties.sasl.password '${SECRET}')`), [SECRET]);
  assert.deepEqual(findSecretValues(`with ("s3.credentials.secret" = ${SECRET.replace('-', '_')})`), [SECRET.replace('-', '_').toLowerCase(), SECRET.replace('-', '_')]);
  // Unquoted with a "-": three tokens, and the text they span.
  assert.ok(findSecretValues(`with (password = ${SECRET}, a = 'b')`).includes(SECRET));
  assert.deepEqual(findSecretValues(`with ('aws.credentials.session_token' = '${SECRET}', fs.path = 'x')`), [SECRET]);
  // The tokens before a lexical error still count.
  assert.deepEqual(findSecretValues(`with (token = '${SECRET}', x = 'unterminated`), [SECRET]);
  // Names of columns are not property names, and types or keywords end a value.
  assert.deepEqual(findSecretValues(`create source t (p_partkey INTEGR, api_key varchar) ; select token from t where token > 1`), []);
});

test('parse errors never quote a string literal, nor a word or number of a property list', () => {
  for (const [sql, message] of [
    [`create source s with (a.b 'x${SECRET}')`, '1:27: expected "=", found a string literal'],
    [`create source s with (a = 'v' ${SECRET})`, '1:31: expected "," or ")", found an unquoted word'],
    [`create source s with (a = 'v' 42)`, '1:31: expected "," or ")", found a number'],
    [`create source s with (a = '${SECRET}`, '1:27: unterminated string literal'],
    [`create source s with (a = 9${SECRET})`, '1:27: invalid number: a letter follows its digits directly'],
    [`select 'x${SECRET}' 'y' from t`, '1:24: expected FROM, found a string literal'],
  ] as const) {
    assert.throws(() => parseSql(sql), (err: unknown) => err instanceof SqlError && err.message === message, sql);
  }
});

test('parseSql redacts a secret-named value from its errors even where a word is quoted', () => {
  const word = SECRET.replace('-', '_');
  assert.throws(
    () => parseSql(`create source s with (password = '${word}'); select ${word} ${word} ${word} from s`),
    (err: unknown) => err instanceof SqlError && !err.message.includes(word) && /found "\*\*\*"/.test(err.message),
  );
});

test('Session: no message of a statement with a secret repeats it, whatever the mistake', () => {
  const base = `create source v with (connector = 'vault', vault.user = 'ann'`;
  const statements = [
    `${base}, vault.pin '${SECRET}') format plain encode json`,
    `${base}, vault.pin = ${SECRET} x) format plain encode json`,
    `${base}, vault.pin = '${SECRET}', '${SECRET}' = 'y') format plain encode json`,
    `${base}, vault.pin = '${SECRET}', vault.retries = '${SECRET}') format plain encode json`,
    `${base}, vault.pim = '${SECRET}') format plain encode json`,
    `${base}, vault.pin = '${SECRET}') format plain encode json`, // the connector echoes it
    `${base}, vault.pin = '${SECRET}') format plain encode json (${SECRET} = 'x')`,
    `${base}, vault.pin = '${SECRET}') format plain encode ${SECRET}`,
    `${base}, password = '${SECRET}') format plain encode json`,
    `${base}, vault.pin = '${SECRET}') format plain encode json; select 1 from ${SECRET}`,
  ];
  for (const sql of statements) {
    assert.throws(
      () => new Session({ connectors: [vault] }).execute(sql),
      (err: unknown) => err instanceof SqlError && !err.message.includes(SECRET) && !err.message.includes(SECRET.toLowerCase()),
      sql,
    );
  }
  // From code: a secret under a misspelt name (it looks secret) is not echoed either.
  const session = new Session({ connectors: [vault] });
  assert.throws(
    () => session.createSource('v', { connector: 'vault', properties: { 'vault.password': SECRET }, format: 'json' }),
    (err: unknown) => err instanceof SqlError && !err.message.includes(SECRET),
  );
});

test('declared plain names that look secret keep their values in messages', () => {
  // properties.sasl.mechanism matches the pattern but Kafka declares it plain: its bad value is shown.
  assert.throws(
    () =>
      new Session().execute(
        `create source k with (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:1', properties.sasl.mechanism = 'PLAINN') format plain encode json`,
      ),
    /got 'PLAINN'/,
  );
  assert.equal(redactSecrets('a abc b', ['abc']), 'a abc b'); // too short to redact safely
});

test('a long value quoted cut short in a message is redacted up to the cut', () => {
  const session = new Session({ connectors: [vault] });
  const long = `${'a'.repeat(52)}${SECRET}${'b'.repeat(100)}`;
  assert.throws(
    () => session.execute(`create source v with (connector = 'vault', vault.pin = '${SECRET}', vault.retries = '${long}') format plain encode json`),
    (err: unknown) => {
      assert.ok(err instanceof SqlError);
      assert.match(err.message, /must be an integer, got 'a{52}\*\*\*…' \(164 characters\)/);
      return true;
    },
  );
});
