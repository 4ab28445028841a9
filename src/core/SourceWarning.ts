/**
 * Something a running source noticed that loses nothing but that an operator should hear about:
 * a pattern that matches no file, a dangling symbolic link, a file re-read from the start under
 * a `reread` policy. The library does not log; a source hands these to whoever subscribes to its
 * `warnings$` (the CLI prints each as one line on stderr).
 *
 * @example
 * source.warnings$?.subscribe((w) => console.warn(`source '${w.source}': ${w.message}`));
 */
export interface SourceWarning {
  /** The source's name. */
  readonly source: string;
  /** The split concerned, when there is one. */
  readonly split?: string;
  /** One line, without the source's name. */
  readonly message: string;
}
