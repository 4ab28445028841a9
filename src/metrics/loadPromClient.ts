import type * as PromClient from 'prom-client';

/** The prom-client module, loaded on first use: it is an optional peer dependency. */
export type PromClientModule = typeof PromClient;

let loaded: Promise<PromClientModule> | undefined;

/** Imports prom-client, or fails with how to install it. */
export function loadPromClient(): Promise<PromClientModule> {
  loaded ??= import('prom-client').then(
    (module) => module,
    (err: unknown) => {
      loaded = undefined;
      throw new Error('exporting metrics for Prometheus needs the prom-client package: npm install prom-client', { cause: err });
    },
  );
  return loaded;
}
