import { createSource } from '../../core/createSource.js';
import { sourceOptionsOf, type SourceOptions } from '../../core/SourceOptions.js';
import type { Enumerator } from '../../core/Enumerator.js';
import type { Source } from '../../core/Source.js';
import type { SourceSplit } from '../../core/SourceSplit.js';
import type { SplitReader } from '../../core/SplitReader.js';
import type { ConnectorContext } from '../ConnectorFactory.js';
import type { Format, RowConverter } from '../../formats/Format.js';
import { SharedClient } from './SharedClient.js';

/** An SDK client handle that can be closed. @internal */
export interface ClosableHandle {
  readonly client: { destroy(): void };
}

/**
 * A source whose enumerator and reader share one SDK client ({@link SharedClient}): `connect`
 * builds it on first use, and it is destroyed when neither needs it any more.
 * @internal
 */
export function createAwsSource<H extends ClosableHandle, S extends SourceSplit, T>(
  options: SourceOptions,
  connect: () => Promise<H>,
  parts: (clients: SharedClient<H>) => { readonly enumerator: Enumerator<S>; readonly reader: SplitReader<S, T> },
): Source<T> {
  const clients = new SharedClient<H>(connect, (handle) => handle.client.destroy());
  return createSource({ ...sourceOptionsOf(options), ...parts(clients) });
}

/** What a connector factory passes on to its programmatic constructor besides the configuration. @internal */
export type ConnectorSourceOptions = SourceOptions & { readonly format: Format; readonly convert?: RowConverter };

/** The source options, format and converter of a connector context. @internal */
export function connectorSourceOptions(context: ConnectorContext): ConnectorSourceOptions {
  const { format, convert } = context;
  return { ...sourceOptionsOf(context), format, ...(convert !== undefined ? { convert } : {}) };
}
