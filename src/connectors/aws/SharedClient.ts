/**
 * One SDK client shared by a source's enumerator and readers, created on first use and
 * destroyed (sockets closed) when the last user releases it, so a source that is not running
 * holds no connection, and each resubscription after a rollback gets a fresh client.
 * @internal
 */
export class SharedClient<C> {
  #client: Promise<C> | undefined;
  #users = 0;

  constructor(
    private readonly create: () => Promise<C>,
    private readonly destroy: (client: C) => void,
  ) {}

  /** Takes a reference; pair every call with {@link release}, also when this rejects. */
  acquire(): Promise<C> {
    this.#users++;
    const client = (this.#client ??= this.create());
    client.catch(() => {
      if (this.#client === client) this.#client = undefined;
    });
    return client;
  }

  /** Runs `fn` with the client, holding a reference for its duration. */
  async use<R>(fn: (client: C) => Promise<R>): Promise<R> {
    let client: C;
    try {
      client = await this.acquire();
    } catch (err) {
      this.release();
      throw err;
    }
    try {
      return await fn(client);
    } finally {
      this.release();
    }
  }

  release(): void {
    if (this.#users === 0) return;
    this.#users--;
    if (this.#users > 0 || this.#client === undefined) return;
    const client = this.#client;
    this.#client = undefined;
    client.then(this.destroy, () => undefined);
  }
}
