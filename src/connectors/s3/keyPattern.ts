/**
 * Compiles `s3.match_pattern` into a predicate on object keys.
 *
 * Dialect (the one `fs.match_pattern` uses, so a pattern means the same on disk and in a bucket):
 * - `*` any run of characters within one `/`-separated segment, `?` one character (never `/`);
 * - `**` as a whole segment: zero or more segments (`logs/**\/*.json`);
 * - `[abc]`, `[a-z]`, `[!a-z]` / `[^a-z]` character classes; `{a,b}` alternatives; `\` escapes.
 * - A pattern without `/` matches the last segment of the key (the "file name") at any depth,
 *   as RisingWave's `match_pattern` does: `*.csv` matches `a.csv` and `2024/01/b.csv`. A
 *   pattern with `/` is matched against the whole key.
 *
 * @example
 * keyPattern('*.ndjson')('events/2024/a.ndjson'); // true
 */
export function keyPattern(pattern: string): (key: string) => boolean {
  const anchored = pattern.includes('/');
  const regExp = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${translate(pattern)}$`);
  return (key) => regExp.test(key);
}

function translate(pattern: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw new TypeError(`match pattern '${pattern}' ends with a lone backslash`);
      out += escape(next);
    } else if (c === '*') {
      const atSegmentStart = i === 0 || pattern[i - 1] === '/';
      if (pattern[i + 1] === '*' && atSegmentStart && (pattern[i + 2] === '/' || i + 2 === pattern.length)) {
        // `**/` is zero or more whole segments; a trailing `**` is everything below.
        if (pattern[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        while (pattern[i + 1] === '*') i++;
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new TypeError(`match pattern '${pattern}' has an unclosed '['`);
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) {
      out += '|';
    } else {
      out += escape(c);
    }
  }
  if (braces > 0) throw new TypeError(`match pattern '${pattern}' has an unclosed '{'`);
  return out;
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
