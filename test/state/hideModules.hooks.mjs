// Module resolution hooks for hideModules.register.mjs.
let hidden = new Set();
let from = '';

export function initialize(data) {
  hidden = new Set(data.modules);
  from = data.from;
}

export async function resolve(specifier, context, nextResolve) {
  const base = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const name = base.startsWith('@') ? base.split('/').slice(0, 2).join('/') : base.split('/')[0];
  const refused = hidden.has(specifier) || hidden.has(base) || hidden.has(name);
  if (refused && (from === '' || (context.parentURL ?? '').includes(from))) {
    const err = new Error(`Cannot find package '${specifier}' (hidden by hideModules.hooks.mjs)`);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return nextResolve(specifier, context);
}
