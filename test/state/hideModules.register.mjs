// Loaded with `node --import`: makes the modules listed in HIDE_MODULES (comma-separated)
// unresolvable, as if they were not installed or not there (a browser has no node:fs). With
// HIDE_FROM set, only imports from modules whose URL contains HIDE_FROM are refused.
import { register } from 'node:module';

register('./hideModules.hooks.mjs', import.meta.url, {
  data: {
    modules: (process.env.HIDE_MODULES ?? '').split(',').filter((name) => name !== ''),
    from: process.env.HIDE_FROM ?? '',
  },
});
