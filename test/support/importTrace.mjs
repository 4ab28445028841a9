// Preloaded with --import: records every module URL that gets resolved in the process and
// prints the list as JSON on stderr at exit, so a test can see what importing an entry point loads.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
register(
  'data:text/javascript,' +
    encodeURIComponent(`
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`),
  { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] },
);
process.on('exit', () => process.stderr.write(`\nIMPORT-TRACE ${JSON.stringify([...seen])}\n`));
