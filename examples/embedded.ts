// The README's quick start (the fs connector), runnable: `npx tsx examples/embedded.ts`. Inside
// the repository it imports from src/; an application imports the same names from 'tributary',
// 'tributary/fs', 'tributary/formats' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapRecords, runWithCheckpoints, toRecords } from '../src/index.js';
import { createFsSource } from '../src/connectors/fs/index.js';
import { createFormat } from '../src/formats/index.js';
import { FileStore } from '../src/state/index.js';

const state = await mkdtemp(join(tmpdir(), 'tributary-example-'));
const parts = createFsSource({
  name: 'part',
  path: 'examples/data/part',
  pattern: '*.csv',
  format: createFormat('csv'),
  store: await FileStore.open(state),
});

// Checkpoints every second; on an error the pipeline resubscribes from the last successful epoch.
runWithCheckpoints(parts, (events) => events.pipe(mapRecords((row) => ({ key: row['p_partkey'] }), 'part')), { retries: 5 })
  .pipe(toRecords())
  .subscribe({
    next: (row) => console.log(row),
    // A real job keeps its state directory to resume from; this example leaves nothing behind.
    complete: () => void rm(state, { recursive: true, force: true }),
  });
