// The script a user would write instead of `tributary run`: papaparse streaming the CSV
// (`header: true`), `JSON.stringify` per row, NDJSON to stdout with backpressure.
// `node bench/scripts/papaparseNdjson.mjs FILE.csv`
import { createReadStream } from 'node:fs';
import Papa from 'papaparse';

Papa.parse(createReadStream(process.argv[2]), {
  header: true,
  skipEmptyLines: true,
  chunk(result, parser) {
    let text = '';
    for (const row of result.data) text += `${JSON.stringify(row)}\n`;
    if (!process.stdout.write(text)) {
      parser.pause();
      process.stdout.once('drain', () => parser.resume());
    }
  },
  error(err) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  },
});
