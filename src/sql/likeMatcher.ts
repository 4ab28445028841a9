/** `_`: any one character. */
const ONE = 1;
/** `%`: any run of characters, the empty one included. */
const RUN = 2;

/**
 * A LIKE pattern as a matching function: `%` any run, `_` one character (a code point), `\`
 * escapes the next character; ILIKE (`caseInsensitive`) compares the lower-case forms, as
 * PostgreSQL does.
 *
 * Why not a regular expression: `%a%a%a%a%a%a%a%a%a%a%c` becomes `^.*a.*a…c$`, which V8's
 * backtracking engine takes exponential time to reject on a 40-character text of `a`s, and the
 * pattern may come from the data (`name LIKE pattern_column`). This greedy matcher backtracks
 * only to the last `%`: at most (text length × pattern length) steps.
 *
 * @example
 * likeMatcher('%brass')('LARGE BRUSHED BRASS') // false
 * likeMatcher('%brass', true)('LARGE BRUSHED BRASS') // true
 */
export function likeMatcher(pattern: string, caseInsensitive = false): (text: string) => boolean {
  const tokens: (string | typeof ONE | typeof RUN)[] = [];
  const chars = [...(caseInsensitive ? pattern.toLowerCase() : pattern)];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) tokens.push(chars[++i]!);
    else if (c === '%') {
      if (tokens.at(-1) !== RUN) tokens.push(RUN);
    } else if (c === '_') tokens.push(ONE);
    else tokens.push(c);
  }
  return (input) => {
    const text = [...(caseInsensitive ? input.toLowerCase() : input)];
    let t = 0;
    let p = 0;
    // Where the last `%` was, and how much of the text it has taken so far.
    let runAt = -1;
    let runTaken = 0;
    while (t < text.length) {
      const token = tokens[p];
      if (token === RUN) {
        runAt = p++;
        runTaken = t;
      } else if (token !== undefined && (token === ONE || token === text[t])) {
        p++;
        t++;
      } else if (runAt !== -1) {
        // Let the last `%` take one more character and retry what follows it.
        p = runAt + 1;
        t = ++runTaken;
      } else return false;
    }
    while (tokens[p] === RUN) p++;
    return p === tokens.length;
  };
}
