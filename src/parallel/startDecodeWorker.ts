import { Worker } from 'node:worker_threads';

/**
 * Starts a thread running `decodeWorker`, from wherever this module runs:
 * - from the built package (`dist/parallel/*.js`): the compiled `decodeWorker.js` beside it;
 * - from the TypeScript sources under tsx (tests, `npm run bench`): `decodeWorker.ts`, after
 *   registering tsx's loader inside the new thread (a worker does not inherit the loader that
 *   `node --import tsx` installed in the main thread, so importing a `.ts` file there fails).
 */
export function startDecodeWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./decodeWorker.js', here));
  const script = new URL('./decodeWorker.ts', here);
  let tsx: string;
  try {
    // Resolved here, where tsx is usually what runs this very file.
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    // Another way of running TypeScript (Node's own type stripping): the thread loads it the same way.
    return new Worker(script);
  }
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
