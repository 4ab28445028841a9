import type { WsModule } from './loadWs.js';
import type { PulsarClientModule } from './loadPulsarClient.js';
import { nativeTransport } from './nativeTransport.js';
import type { PulsarConfig } from './pulsarProperties.js';
import type { PulsarTransport } from './PulsarTransport.js';
import { webSocketTransport } from './webSocketTransport.js';

/** The optional packages a transport loads, injectable for tests. @internal */
export interface TransportLoaders {
  readonly ws: () => Promise<WsModule>;
  readonly pulsarClient: () => Promise<PulsarClientModule>;
}

/**
 * The transport `config.transport` names: `websocket` (the default: pure JS, and the one tested
 * against a real broker), `native` (`pulsar-client`; fails with how to install it when it
 * cannot be loaded), or `auto` (native when `pulsar-client` loads, else websocket).
 * @internal
 */
export async function selectTransport(
  config: Pick<PulsarConfig, 'transport' | 'serviceUrl' | 'adminUrl' | 'webSocketUrl' | 'token' | 'requestTimeoutMs'>,
  loaders: TransportLoaders,
): Promise<PulsarTransport> {
  const websocket = (): PulsarTransport => webSocketTransport({ webSocketUrl: config.webSocketUrl, token: config.token, requestTimeoutMs: config.requestTimeoutMs, ws: loaders.ws });
  if (config.transport === 'websocket') return websocket();
  let pulsar: PulsarClientModule;
  try {
    pulsar = await loaders.pulsarClient();
  } catch (err) {
    if (config.transport === 'auto') return websocket();
    throw err;
  }
  return nativeTransport(pulsar, { serviceUrl: config.serviceUrl ?? config.adminUrl, token: config.token, requestTimeoutMs: config.requestTimeoutMs });
}
