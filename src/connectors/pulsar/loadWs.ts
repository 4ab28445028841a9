import type WebSocketClass from 'ws';

/** The `ws` module's WebSocket class. */
export type WsModule = typeof WebSocketClass;

let loaded: Promise<WsModule> | undefined;

/**
 * Imports the `ws` package, an optional peer dependency loaded only when a Pulsar source starts.
 *
 * Why `ws` and not Node's own client: Node 20 (our floor) has a global `WebSocket` only behind
 * `--experimental-websocket`, which a library cannot turn on; and even where it is global (Node
 * 22+), the WHATWG API cannot send the `Authorization` header token auth needs on the upgrade
 * request, nor expose the HTTP status of a refused upgrade (404: no such topic; 401: bad token),
 * which decides between failing and retrying. `ws` does both.
 *
 * Why the WebSocket API at all: the native `pulsar-client` cannot be installed here (its
 * prebuilt binary download fails and building it needs the libpulsar C++ headers), and the
 * WebSocket reader endpoint takes a start message id, which fits offsets kept in tributary's
 * state.
 */
export function loadWs(): Promise<WsModule> {
  loaded ??= import('ws').then(
    (module: { default: WsModule }) => module.default,
    (err: unknown) => {
      loaded = undefined;
      throw new Error('the Pulsar connector needs the ws package (its WebSocket transport): npm install ws', { cause: err });
    },
  );
  return loaded;
}
