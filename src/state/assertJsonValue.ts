/** The JSON check every store runs lives in core, beside the in-memory default store. @internal */
export { assertJsonValue, findNonJson } from '../core/assertJsonValue.js';
