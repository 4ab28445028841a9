// The README's quick start, runnable: `npx tsx examples/embedded.ts`. Inside the repository it
// imports from src/; an application imports the same names from 'tributary', 'tributary/fs',
// 'tributary/formats' and 'tributary/state'.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'rxjs';
import { mapRecords, runWithCheckpoints, toRecords } from '../src/index.js';
import { createFsSource } from '../src/connectors/fs/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

const state = await FileStore.open(await mkdtemp(join(tmpdir(), 'tributary-example-')));
const parts = createFsSource({
  name: 'part',
  path: 'examples/data/part',
  pattern: '*.csv',
  format: createFormat('csv'),
  store: state,
});

// Checkpoints every second; on an error the pipeline resubscribes from the last successful epoch.
runWithCheckpoints(
  parts,
  (events) => events.pipe(mapRecords((row) => ({ key: row['p_partkey'], size: Number(row['p_size']) }), 'part')),
  { retries: 5 },
)
  .pipe(toRecords(), count((row) => row.size > 25))
  .subscribe((large) => console.log(`${large} parts larger than 25, checkpoints in ${state.dir}`));
