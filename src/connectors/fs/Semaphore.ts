/**
 * Counts permits for a limited resource (open files). `acquire` resolves with a release function
 * once a permit is free; waiters are served in arrival order.
 *
 * @example
 * const openFiles = new Semaphore(16);
 * const release = await openFiles.acquire();
 * try { await readFile(); } finally { release(); }
 */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`a semaphore needs at least one permit, not ${permits}`);
    this.#free = permits;
  }

  /** Permits not currently held. */
  get free(): number {
    return this.#free;
  }

  /**
   * Waits for a permit. The returned function releases it (idempotent). Pass `signal` to stop
   * waiting: the promise then never resolves and the permit is not taken.
   */
  acquire(signal?: { readonly aborted: boolean }): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        if (signal?.aborted === true) {
          this.#release();
          return;
        }
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#release();
        });
      };
      if (this.#free > 0) {
        this.#free--;
        grant();
      } else {
        this.#waiting.push(grant);
      }
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}
