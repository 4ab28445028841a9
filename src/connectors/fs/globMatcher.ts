/**
 * A compiled glob: tests a path relative to the scanned directory, with `/` separators.
 */
export interface GlobMatcher {
  (relativePath: string): boolean;
  /** The pattern as given. */
  readonly pattern: string;
  /** The regular expression the pattern compiled to (matched against the whole relative path). */
  readonly regExp: RegExp;
  /**
   * How many directory levels below the root a match can lie (`0`: files in the root only), or
   * `Infinity` when the pattern has a `**` or is a bare file-name pattern. Lets the lister prune.
   */
  readonly maxDepth: number;
  /** Whether a match may lie inside a directory whose name starts with a dot. */
  readonly matchesHiddenDirectories: boolean;
}

/**
 * Compiles a glob pattern for `fs.match_pattern`.
 *
 * Written here rather than taken from a package (picomatch, minimatch) because it is the only
 * runtime code the embedded default connector would need from outside: ~150 lines, no
 * dependency, and exactly the dialect below, which is tested in `test/connectors/fs/globMatcher.test.ts`.
 *
 * Dialect (the common subset of shell globs, gitignore and Rust's `glob` crate that RisingWave uses):
 * - `*` any run of characters within one path segment, `?` one character (never `/`);
 * - `**` as a whole segment: zero or more directories (`logs/**\/*.json`);
 * - `[abc]`, `[a-z]`, `[!a-z]` / `[^a-z]` character classes (never `/`);
 * - `{a,b,c}` alternatives (may nest; no `/` inside);
 * - `\` escapes the next character.
 * - A pattern without `/` matches the file *name* at any depth, as in `.gitignore` and as
 *   RisingWave's `match_pattern` does: `*.csv` matches `a.csv` and `2024/01/b.csv`. A pattern
 *   with `/` is anchored at the root: `2024/*.csv` matches `2024/b.csv` only.
 * - Wildcards do not match a leading `.`: `*` skips `.part.tmp` and `.git/`, so a writer can
 *   create `.name.tmp` and rename it into place for an atomic arrival. Name dot files literally
 *   (`.hidden/*.csv`) to read them.
 *
 * @example
 * const m = globMatcher('**\/*.{csv,tsv}');
 * m('2024/01/orders.csv'); // true
 * m('notes.txt');          // false
 */
export function globMatcher(pattern: string): GlobMatcher {
  if (pattern.length === 0) throw new Error('empty glob pattern: use * to match every file');
  let body = pattern;
  while (body.startsWith('./')) body = body.slice(2);
  while (body.startsWith('/')) body = body.slice(1);
  if (body.length === 0) throw new Error(`glob pattern '${pattern}' names the directory itself, not files in it`);
  const anchored = body.includes('/');
  const full = anchored ? body : `**/${body}`;
  const regExp = new RegExp(`^${translate(full, pattern)}$`, 'u');
  const segments = full.split('/');
  const maxDepth = segments.includes('**') ? Infinity : segments.length - 1;
  const matchesHiddenDirectories = segments.slice(0, -1).some((s) => s.startsWith('.') || s.startsWith('\\.'));
  const matcher = ((relativePath: string) => regExp.test(relativePath)) as GlobMatcher;
  return Object.assign(matcher, { pattern, regExp, maxDepth, matchesHiddenDirectories });
}

const SEGMENT = '(?!\\.)[^/]*';

/** Translates a glob (or a part of one inside braces) to a RegExp source. */
function translate(glob: string, whole: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const atSegmentStart = i === 0 || glob[i - 1] === '/';
    const c = glob[i] as string;
    if (atSegmentStart && glob.startsWith('**', i) && (i + 2 === glob.length || glob[i + 2] === '/')) {
      if (i + 2 === glob.length) {
        // Trailing `**`: everything below, at least one segment.
        out += `${SEGMENT}(?:/${SEGMENT})*`;
        i += 2;
      } else {
        // `**/`: zero or more directories, none hidden.
        out += `(?:${SEGMENT}/)*`;
        i += 3;
      }
      continue;
    }
    if (atSegmentStart && (c === '*' || c === '?' || c === '[')) out += '(?!\\.)';
    switch (c) {
      case '*':
        while (glob[i + 1] === '*') i++;
        out += '[^/]*';
        i++;
        break;
      case '?':
        out += '[^/]';
        i++;
        break;
      case '[': {
        const cls = characterClass(glob, i);
        if (cls === undefined) {
          out += '\\[';
          i++;
        } else {
          out += cls.source;
          i = cls.end;
        }
        break;
      }
      case '{': {
        const alt = alternatives(glob, i);
        if (alt === undefined) {
          out += '\\{';
          i++;
        } else {
          for (const option of alt.options) {
            if (option.includes('/')) throw new Error(`glob pattern '${whole}': '/' inside {...} is not supported`);
          }
          out += `(?:${alt.options.map((o) => translate(o, whole) ).join('|')})`;
          i = alt.end;
        }
        break;
      }
      case '\\': {
        const next = glob[i + 1];
        if (next === undefined) throw new Error(`glob pattern '${whole}' ends with a lone '\\'`);
        out += escapeRegExp(next);
        i += 2;
        break;
      }
      default:
        out += escapeRegExp(c);
        i++;
    }
  }
  return out;
}

/** Parses `[...]` starting at `start`; `undefined` when unterminated (then `[` is literal). */
function characterClass(glob: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === ']' && !first) {
      if (body.length === 0) return undefined;
      return { source: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i + 1 };
    }
    first = false;
    if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) return undefined;
      body += escapeClassChar(next);
      i += 2;
      continue;
    }
    body += c === '-' ? '-' : escapeClassChar(c);
    i++;
  }
  return undefined;
}

/** Parses `{a,b}` starting at `start`, honouring nesting and escapes; `undefined` when unterminated. */
function alternatives(glob: string, start: number): { options: string[]; end: number } | undefined {
  const options: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = start + 1; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      current += c + (glob[i + 1] as string);
      i++;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      if (depth === 0) {
        options.push(current);
        return { options, end: i + 1 };
      }
      depth--;
    }
    if (c === ',' && depth === 0) {
      options.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  return undefined;
}

function escapeRegExp(c: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return /[.*+?^${}()|[\]\\/]/u.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\]\\^[-]/u.test(c) ? `\\${c}` : c;
}
