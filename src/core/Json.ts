/** A value that survives `JSON.stringify` and `JSON.parse` unchanged: what state stores hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
