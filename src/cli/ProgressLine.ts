/**
 * The progress line of `tributary run` on a terminal: rows and bytes written so far and the
 * current rate, redrawn in place once a second after the first second (a quick run shows none).
 * Only when stderr is a terminal and stdout is not (rows going to a file or a pipe): rows printed
 * on the terminal are progress enough, and a line redrawn between them would garble them.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastRows = 0;
  private lastAt = this.started;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly counts: () => { readonly rows: number; readonly bytes: number },
  ) {
    if (stream.isTTY !== true || process.stdout.isTTY === true) return;
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }

  /** Erases the line and stops redrawing. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stream.write('\r\x1b[K');
  }

  private draw(): void {
    const { rows, bytes } = this.counts();
    const now = Date.now();
    const rate = ((rows - this.lastRows) * 1000) / Math.max(1, now - this.lastAt);
    this.lastRows = rows;
    this.lastAt = now;
    const seconds = Math.round((now - this.started) / 1000);
    this.stream.write(
      `\r\x1b[K${rows.toLocaleString('en-US')} rows, ${formatBytes(bytes)} written, ${Math.round(rate).toLocaleString('en-US')} rows/s, ${seconds}s`,
    );
    this.shown = true;
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
