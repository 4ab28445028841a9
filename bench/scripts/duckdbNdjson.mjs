// DuckDB (optional: @duckdb/node-api) doing the CLI's job: read_csv with its own type
// detection, each row made JSON by DuckDB (`to_json`), streamed a vector at a time and written
// to stdout as NDJSON with backpressure (its COPY ... TO '/dev/stdout' cannot open a socket,
// which is what a spawned process's stdout is). `node bench/scripts/duckdbNdjson.mjs FILE.csv`
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2];
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const result = await connection.stream(`SELECT to_json(p) FROM read_csv('${path.replaceAll("'", "''")}') p`);
let text = '';
for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
  text += `${chunk.getColumnValues(0).join('\n')}\n`;
  if (text.length >= 1 << 16) {
    const more = process.stdout.write(text);
    text = '';
    if (!more) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}
process.stdout.write(text);
