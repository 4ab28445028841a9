import { Observable, Subject, asyncScheduler, timer, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { SourceSplit, SplitPosition } from '../core/SourceSplit.js';
import type { AssignableSplitLeases, LeasedPosition, LeasedSplit } from '../core/SplitLeases.js';
import { checkTableName, connectionSecrets, connectPg, describeConnection, scrub, type PgClient, type PgConnection } from '../state/pgConnection.js';

/** Default of {@link PostgresSplitLeasesOptions.leaseMs}. */
export const DEFAULT_LEASE_MS = 15_000;
/**
 * Default of {@link PostgresSplitLeasesOptions.handoverTimeoutMs}, in lease times. Commits wait
 * for the sink, which a slow reader holds up (with the source's read-ahead, for many seconds);
 * giving the split back sooner has the next holder read again what this one already delivered
 * (at 5, a slow-reader Kafka run repeated 105k of 240k messages). What it guards against: a
 * process alive and renewing whose commits never come. With the default lease (15 s) it is 300 s,
 * Kafka's default `max.poll.interval.ms`, the time a member has to finish a revocation.
 */
const HANDOVER_TIMEOUT_LEASES = 20;
/**
 * With an outside assignment: how soon, in ms, a split assigned here but still leased to its
 * previous holder is tried again. The previous holder hands it over at its next commit (a
 * checkpoint interval away), so waiting a whole renewal (a third of the lease) would idle the
 * split for seconds after every rebalance.
 */
const ASSIGNED_RETRY_MS = 200;
/** Default of {@link PostgresSplitLeasesOptions.table}. */
export const DEFAULT_LEASE_TABLE = 'tributary_leases';

/** Options of {@link PostgresSplitLeases.open}. */
export interface PostgresSplitLeasesOptions {
  /** `postgres://user:password@host:port/database`, or pg's client config object. */
  readonly connection: PgConnection;
  /** The lease table (created if absent, with `<table>_members` beside it). Default `tributary_leases`. */
  readonly table?: string;
  /** This process's name among the members; unique per process. Default: pid and a random suffix. */
  readonly member?: string;
  /**
   * How long a lease lasts without renewal, in ms: a process that dies or stops (SIGSTOP, a
   * network partition, a long GC pause) loses its splits this long after its last renewal.
   * Default {@link DEFAULT_LEASE_MS}.
   */
  readonly leaseMs?: number;
  /** How often leases are renewed and the balance rechecked, in ms. Default a third of `leaseMs`. */
  readonly renewMs?: number;
  /**
   * How long a split chosen to move (for balance, or by an outside assignment) waits, in ms, for
   * the commit that writes where its reading stopped; after that it is given back at its last
   * committed position (a `released` event with `unwritten`), and the next holder reads again
   * what this process read since. Default 20 lease times (300 s with the default lease).
   */
  readonly handoverTimeoutMs?: number;
  /** Scheduler of the renewal timer. */
  readonly scheduler?: SchedulerLike;
}

/** What the leases did, for logs and tests. */
export type LeaseEvent =
  | { readonly type: 'lost'; readonly source: string; readonly splits: readonly string[] }
  /**
   * Given back: finished, handed over by the commit that wrote where their reading stopped, no
   * longer listed, or at a clean stop. `unwritten`: given back for balance without that commit
   * (none came within the handover timeout: a sink far behind its reads), so the next holder
   * starts at the last committed position and reads again what this process read after it.
   */
  | { readonly type: 'released'; readonly source: string; readonly splits: readonly string[]; readonly unwritten?: true }
  /** `from`: each split's committed offset it starts at (`null`: the connector's start). */
  | { readonly type: 'acquired'; readonly source: string; readonly splits: readonly string[]; readonly from: ReadonlyArray<string | null> }
  | { readonly type: 'fenced'; readonly source: string; readonly epoch: number; readonly splits: readonly string[] }
  | { readonly type: 'committed'; readonly source: string; readonly epoch: number; readonly splits: ReadonlyArray<{ readonly id: string; readonly token: string; readonly offset: string | null }> }
  | { readonly type: 'error'; readonly source: string; readonly message: string };

interface Held {
  /** The lease's fencing token: raised by every acquisition, checked by every commit. */
  readonly token: string;
  readonly position: LeasedPosition | undefined;
}

/** One source's leases in this process (one `hold` at a time). */
interface SourceState<S extends SourceSplit> {
  readonly source: string;
  /**
   * With an outside assignment ({@link PostgresSplitLeases.holdAssigned}): the splits this
   * process should hold, `undefined` before the first assignment (hold nothing yet); `null` when
   * the leases balance by themselves.
   */
  assigned: ReadonlySet<string> | undefined | null;
  /** A quick retry of assigned splits still leased elsewhere is scheduled. */
  retrying: boolean;
  known: Map<string, S>;
  knownChanged: boolean;
  innerDone: boolean;
  readonly held: Map<string, Held>;
  /**
   * Splits to give back for balance: no longer read from the moment they are chosen, released by
   * the next commit right after it wrote where their reading stopped (so the next holder starts
   * there: nothing is read twice), or, if no such commit came within the handover timeout, by
   * the first renewal after it (at their last committed position).
   */
  giving: Set<string>;
  /** When the oldest split in `giving` was chosen (scheduler time). */
  givingSince: number;
  /** The held set last emitted, as text, to emit only on change. */
  emitted: string | undefined;
  syncing: boolean;
  /** When the renewal under way (`syncing`) was asked for (scheduler time). */
  syncingSince: number;
  again: boolean;
  stopped: boolean;
  lastSuccess: number;
  readonly emit: (held: ReadonlyArray<LeasedSplit<S>>) => void;
  readonly complete: () => void;
  readonly fail: (err: Error) => void;
}

/**
 * {@link SplitLeases} in a PostgreSQL table: processes running the same source name (on any host)
 * share its splits, each split leased to one process at a time.
 *
 * Why a lease table with `FOR UPDATE SKIP LOCKED` and not advisory locks: an advisory lock lives
 * as long as the session that holds it, so a process stopped by SIGSTOP (or paused, or cut off
 * behind a NAT that keeps the TCP connection) keeps its locks indefinitely and its splits are
 * never taken over; and a lock carries no fencing token, so a process cannot prove at commit
 * time that it still holds the split. A lease row has an expiry measured on the database's clock
 * (no clock skew between hosts) and a token raised by every acquisition; a commit is one
 * `UPDATE ... WHERE owner = me AND token = mine AND expires_at > now()`, so a process that lost a
 * split, however late it wakes up, cannot write a position for it. `SKIP LOCKED` lets processes
 * acquiring at the same moment pick different free splits instead of queueing on the same rows.
 *
 * Balance: every renewal counts the live members (a members table, renewed like leases) and the
 * unfinished splits; with M splits and N members, member number r (by name) aims at
 * floor(M/N) + (r < M mod N ? 1 : 0) splits, gives back any above that and takes free or expired
 * ones below it, so a new process gets its share within one renewal of the others.
 * With {@link holdAssigned} an outside protocol decides instead (Kafka's consumer group): the
 * process aims at exactly the splits assigned to it, with the same handover and fencing.
 *
 * Positions: a commit writes each held split's offset and finished flag into its row; a split
 * leased later (by any process) starts there. So nothing committed is lost and nothing before the
 * last committed position is read again; what a process read after its last commit of a split it
 * then lost is read again by the next holder (at-least-once after the last committed epoch).
 *
 * @example
 * const leases = await PostgresSplitLeases.open({ connection: process.env.STATE_URL! });
 * const source = createFsSource({ name: 'orders', path: 'data/orders', format, leases });
 * // ... run it; on shutdown:
 * await leases.close(); // gives the splits back at once
 */
export class PostgresSplitLeases implements AssignableSplitLeases {
  readonly member: string;
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly handoverTimeoutMs: number;
  readonly description: string;
  readonly #client: PgClient;
  readonly #table: string;
  readonly #members: string;
  readonly #scheduler: SchedulerLike;
  readonly #secrets: readonly string[];
  readonly #sources = new Map<string, SourceState<SourceSplit>>();
  readonly #events = new Subject<LeaseEvent>();
  /** Lease events as they happen: acquisitions, losses, fenced commits. */
  readonly events$: Observable<LeaseEvent> = this.#events.asObservable();
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(client: PgClient, table: string, options: PostgresSplitLeasesOptions, secrets: readonly string[]) {
    this.#client = client;
    this.#table = table;
    this.#members = `${table}_members`;
    this.#secrets = secrets;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.renewMs = options.renewMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.handoverTimeoutMs = options.handoverTimeoutMs ?? HANDOVER_TIMEOUT_LEASES * this.leaseMs;
    this.member = options.member ?? `${globalThis.process?.pid ?? 'p'}-${Math.random().toString(36).slice(2, 10)}`;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.description = `PostgreSQL ${describeConnection(options.connection)}, table ${table}`;
  }

  /** Connects and creates the lease tables if absent. */
  static async open(options: PostgresSplitLeasesOptions): Promise<PostgresSplitLeases> {
    const table = checkTableName(options.table ?? DEFAULT_LEASE_TABLE, 'PostgresSplitLeases');
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new TypeError(`PostgresSplitLeases: leaseMs must be a positive whole number, got ${leaseMs}`);
    if (options.renewMs !== undefined && !(Number.isInteger(options.renewMs) && options.renewMs >= 1 && options.renewMs < leaseMs)) {
      throw new TypeError(`PostgresSplitLeases: renewMs must be a whole number from 1 to below leaseMs (${leaseMs}), got ${options.renewMs}`);
    }
    if (options.handoverTimeoutMs !== undefined && !(Number.isInteger(options.handoverTimeoutMs) && options.handoverTimeoutMs >= 1)) {
      throw new TypeError(`PostgresSplitLeases: handoverTimeoutMs must be a positive whole number, got ${options.handoverTimeoutMs}`);
    }
    const secrets = connectionSecrets(options.connection);
    // Keepalive lets the kernel notice a server gone without a word; a silent one that still
    // acknowledges TCP is the watchdog's (see #watchdog).
    const client = await connectPg('PostgresSplitLeases', options.connection, { keepAliveMs: Math.max(1_000, Math.floor(leaseMs / 3)) });
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tributary:${table}`]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table} (source text NOT NULL, split text NOT NULL, owner text, token bigint NOT NULL DEFAULT 0,
           expires_at timestamptz NOT NULL DEFAULT '-infinity', "offset" text, finished boolean NOT NULL DEFAULT false, epoch bigint,
           committed_by text, PRIMARY KEY (source, split))`,
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${table}_members (source text NOT NULL, member text NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (source, member))`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
      throw new Error(`PostgresSplitLeases: cannot create table ${table}: ${scrub(messageOf(err), secrets)}`);
    }
    return new PostgresSplitLeases(client, table, options, secrets);
  }

  hold<S extends SourceSplit>(source: string, splits$: Observable<readonly S[]>): Observable<ReadonlyArray<LeasedSplit<S>>> {
    return this.#hold(source, splits$, undefined);
  }

  /**
   * {@link hold} with the balance decided elsewhere (Kafka's consumer group): this process aims
   * at the split ids `assigned$` last emitted instead of its share of the live members. An
   * assigned split still leased to another process is taken once that process gives it back
   * (at its next commit, which writes where its reading stopped) or its lease runs out; a split
   * no longer assigned is given back the same way. Fencing is unchanged: every commit checks the
   * token of the lease it writes.
   */
  holdAssigned<S extends SourceSplit>(source: string, splits$: Observable<readonly S[]>, assigned$: Observable<ReadonlySet<string>>): Observable<ReadonlyArray<LeasedSplit<S>>> {
    return this.#hold(source, splits$, assigned$);
  }

  #hold<S extends SourceSplit>(source: string, splits$: Observable<readonly S[]>, assigned$: Observable<ReadonlySet<string>> | undefined): Observable<ReadonlyArray<LeasedSplit<S>>> {
    return new Observable<ReadonlyArray<LeasedSplit<S>>>((subscriber) => {
      if (this.#sources.has(source)) {
        subscriber.error(new Error(`PostgresSplitLeases: source '${source}' already holds leases in this process`));
        return undefined;
      }
      const state: SourceState<S> = {
        source,
        assigned: assigned$ === undefined ? null : undefined,
        retrying: false,
        known: new Map(),
        knownChanged: false,
        innerDone: false,
        held: new Map(),
        giving: new Set(),
        givingSince: 0,
        emitted: undefined,
        syncing: false,
        syncingSince: 0,
        again: false,
        stopped: false,
        lastSuccess: this.#scheduler.now(),
        emit: (held) => subscriber.next(held),
        complete: () => subscriber.complete(),
        fail: (err) => subscriber.error(err),
      };
      this.#sources.set(source, state as unknown as SourceState<SourceSplit>);
      const subscriptions: Subscription[] = [];
      subscriptions.push(
        splits$.subscribe({
          next: (splits) => {
            state.known = new Map(splits.map((split) => [split.id, split]));
            state.knownChanged = true;
            this.#sync(state);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            state.innerDone = true;
            this.#sync(state);
          },
        }),
      );
      if (assigned$ !== undefined) {
        subscriptions.push(
          assigned$.subscribe({
            next: (ids) => {
              state.assigned = ids;
              this.#sync(state);
            },
            error: (err: unknown) => subscriber.error(err),
          }),
        );
      }
      subscriptions.push(timer(this.renewMs, this.renewMs, this.#scheduler).subscribe(() => this.#sync(state)));
      subscriptions.push(this.#watchdog(state));
      return () => {
        state.stopped = true;
        for (const s of subscriptions) s.unsubscribe();
        if (this.#sources.get(source) === (state as unknown as SourceState<SourceSplit>)) this.#sources.delete(source);
        // A clean stop gives every split back at once instead of letting its lease run out.
        void this.#release(state, [...state.held.keys()], true).catch(() => undefined);
      };
    });
  }

  commit<S extends SourceSplit>(
    source: string,
    epoch: number,
    positions: ReadonlyMap<string, SplitPosition<S>>,
    departed: ReadonlySet<string> = new Set(),
    snapshotTokens?: ReadonlyMap<string, string>,
  ): Promise<void> {
    const state = this.#sources.get(source);
    const ids: string[] = [];
    const tokens: string[] = [];
    const offsets: Array<string | null> = [];
    const finished: boolean[] = [];
    const fenced: string[] = [];
    const giveUp: boolean[] = [];
    for (const [id, position] of positions) {
      // A split not held any more was reported when it went (lost, or given back by an
      // earlier commit); snapshots written before that still list it, and are skipped for it.
      const held = state?.held.get(id);
      if (held === undefined) continue;
      ids.push(id);
      // The token the snapshot was taken under, not the one held now: a split lost and taken
      // again since (maybe moved on by another process meanwhile) must not get this older
      // position; the database fences it like any lost lease.
      tokens.push(snapshotTokens?.get(id) ?? held.token);
      offsets.push(position.offset);
      finished.push(position.finished);
      // A finished split needs no lease; one chosen for balance goes with the snapshot that
      // recorded where its reading stopped (an older snapshot still pending would hand it over
      // at an older position, and the next holder would read again what was delivered since).
      giveUp.push(position.finished || (state!.giving.has(id) && departed.has(id)));
    }
    return this.#run('commit', async (client) => {
      const written = new Set<string>();
      const committed: Array<{ id: string; token: string; offset: string | null }> = [];
      if (ids.length > 0) {
        const { rows } = await client.query(
          `UPDATE ${this.#table} AS l SET "offset" = h.off, finished = h.fin, epoch = $2, committed_by = $3,
             owner = CASE WHEN h.give THEN NULL ELSE l.owner END,
             expires_at = CASE WHEN h.give THEN '-infinity' ELSE now() + $4 * interval '1 millisecond' END
           FROM unnest($5::text[], $6::bigint[], $7::text[], $8::boolean[], $9::boolean[]) AS h(split, token, off, fin, give)
           WHERE l.source = $1 AND l.split = h.split AND l.owner = $3 AND l.token = h.token AND l.expires_at > now()
           RETURNING l.split, h.token::text AS token, l."offset" AS off, h.give`,
          [source, epoch, this.member, this.leaseMs, ids.map(keyText), tokens, offsets, finished, giveUp],
        );
        const released: string[] = [];
        for (const row of rows) {
          const id = JSON.parse(String(row['split'])) as string;
          written.add(id);
          committed.push({ id, token: String(row['token']), offset: (row['off'] as string | null) ?? null });
          if (row['give'] === true) released.push(id);
        }
        if (released.length > 0 && state !== undefined) {
          for (const id of released) {
            if (state.held.get(id)?.token !== tokens[ids.indexOf(id)]) continue;
            state.held.delete(id);
            state.giving.delete(id);
          }
          this.#events.next({ type: 'released', source, splits: released });
          if (!state.stopped) {
            this.#emit(state as SourceState<SourceSplit>);
            // Splits finished or handed over: take a new share (or complete) now, not at the
            // next renewal.
            this.#sync(state);
          }
        }
      }
      const fencedTokens = new Map<string, string>();
      ids.forEach((id, i) => {
        if (written.has(id)) return;
        fenced.push(id);
        fencedTokens.set(id, tokens[i]!);
      });
      if (committed.length > 0) this.#events.next({ type: 'committed', source, epoch, splits: committed });
      if (fenced.length > 0) {
        this.#events.next({ type: 'fenced', source, epoch, splits: fenced });
        if (state !== undefined && !state.stopped) {
          // Only the lease the commit was fenced under is gone: one taken again since (a new
          // token, by a renewal queued before this commit) is held and read on.
          for (const id of fenced) if (state.held.get(id)?.token === fencedTokens.get(id)) state.held.delete(id);
          this.#emit(state as SourceState<SourceSplit>);
          this.#sync(state);
        }
      }
    });
  }

  /** Gives back every split this process holds and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const state of [...this.#sources.values()]) {
      state.stopped = true;
      void this.#release(state, [...state.held.keys()], true).catch(() => undefined);
    }
    this.#sources.clear();
    this.#closed = true;
    // The releases get a lease time (a hung connection would never let them finish); pg's end()
    // then drops a connection whose query is still unanswered.
    let waited: Subscription | undefined;
    await Promise.race([this.#tail.catch(() => undefined), new Promise<void>((resolve) => (waited = this.#scheduler.schedule(() => resolve(), this.leaseMs)))]);
    waited?.unsubscribe();
    await this.#client.end().catch(() => undefined);
    this.#events.complete();
  }

  /**
   * Fails the source once a renewal has been under way for a lease time without an answer. A
   * failing renewal checks the lease time itself, but a query that never returns (a connection
   * gone silent behind a partition or a NAT, or a commit hung before the renewal in the queue)
   * fails nothing: the process would read on, for as long as TCP keeps the connection, splits
   * whose leases ran out and that another process now reads. Only a renewal in flight counts: a
   * process merely paused (SIGSTOP, a long GC) renews on waking and learns what it lost.
   */
  #watchdog<S extends SourceSplit>(state: SourceState<S>): Subscription {
    const scheduler = this.#scheduler;
    const { leaseMs, renewMs, description } = this;
    let suspect: number | undefined;
    // One action rescheduling itself (no new subscription per check).
    return scheduler.schedule(function (this: SchedulerAction<undefined>) {
      if (state.stopped) return;
      const waited = scheduler.now() - state.syncingSince;
      if (!state.syncing || waited < leaseMs) {
        suspect = undefined;
        this.schedule(undefined, state.syncing ? leaseMs - waited : renewMs);
        return;
      }
      // Once more a moment later, still the same renewal: a process waking from a pause runs
      // its due timers before it reads the answers waiting in its sockets.
      if (suspect !== state.syncingSince) {
        suspect = state.syncingSince;
        this.schedule(undefined, Math.min(renewMs, 100));
        return;
      }
      state.stopped = true;
      state.fail(new Error(`PostgresSplitLeases: no answer to a lease renewal for ${leaseMs} ms in ${description}: the leases are lost`));
    }, renewMs);
  }

  /** Renews, rebalances and emits the held set; one at a time per source, coalescing. */
  #sync<S extends SourceSplit>(state: SourceState<S>): void {
    if (state.stopped || this.#closed) return;
    if (state.syncing) {
      state.again = true;
      return;
    }
    state.syncing = true;
    state.syncingSince = this.#scheduler.now();
    state.again = false;
    // The renewal's UPDATE runs after the body starts: its leases last at least a lease time
    // from then (the watchdog counts from there, never from a later moment they may not reach).
    let started = this.#scheduler.now();
    this.#run('renew leases', (client) => {
      started = this.#scheduler.now();
      return this.#syncOnce(client, state);
    }).then(
      () => {
        state.lastSuccess = started;
        state.syncing = false;
        if (state.again) this.#sync(state);
      },
      (err: unknown) => {
        state.syncing = false;
        if (state.stopped) return;
        const message = messageOf(err);
        // Leases held are surely lost once a lease time passed without renewal: stop, rather
        // than read on with splits another process may have taken.
        if (this.#scheduler.now() - state.lastSuccess >= this.leaseMs) {
          state.fail(new Error(`${message} (no successful renewal for ${this.leaseMs} ms: the leases are lost)`));
        } else {
          this.#events.next({ type: 'error', source: state.source, message });
        }
      },
    );
  }

  async #syncOnce<S extends SourceSplit>(client: PgClient, state: SourceState<S>): Promise<void> {
    const { source } = state;
    const lease = this.leaseMs;
    // Read together, before any await: the splits may be listed (and the enumerator complete)
    // while this renewal's queries run, and "no unfinished split among the ones known at the
    // start" completes the held set only if the enumerator had completed by then too; else a
    // process completes, having read nothing, before its splits were known.
    const enumerated = state.innerDone;
    const known = [...state.known.keys()].map(keyText);
    if (state.knownChanged) {
      state.knownChanged = false;
      if (known.length > 0) await client.query(`INSERT INTO ${this.#table} (source, split) SELECT $1, s FROM unnest($2::text[]) AS s ON CONFLICT DO NOTHING`, [source, known]);
    }
    await client.query(
      `INSERT INTO ${this.#members} (source, member, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (source, member) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [source, this.member, lease],
    );
    // Members gone for ten lease times are forgotten (their rows only cost a scan).
    await client.query(`DELETE FROM ${this.#members} WHERE source = $1 AND expires_at < now() - $2 * interval '1 millisecond'`, [source, lease * 10]);
    const members = (await client.query(`SELECT member FROM ${this.#members} WHERE source = $1 AND expires_at > now() ORDER BY member`, [source])).rows.map((r) => String(r['member']));
    // Renew what is still ours; what is not came back expired or taken over: lost.
    const heldIds = [...state.held.keys()];
    const renewed = new Map<string, boolean>();
    if (heldIds.length > 0) {
      const { rows } = await client.query(
        `UPDATE ${this.#table} AS l SET expires_at = now() + $3 * interval '1 millisecond'
         FROM unnest($4::text[], $5::bigint[]) AS h(split, token)
         WHERE l.source = $1 AND l.split = h.split AND l.owner = $2 AND l.token = h.token AND l.expires_at > now()
         RETURNING l.split, l.finished`,
        [source, this.member, lease, heldIds.map(keyText), heldIds.map((id) => state.held.get(id)!.token)],
      );
      for (const row of rows) renewed.set(JSON.parse(String(row['split'])) as string, row['finished'] === true);
    }
    const lost = heldIds.filter((id) => !renewed.has(id));
    for (const id of lost) state.held.delete(id);
    if (lost.length > 0) this.#events.next({ type: 'lost', source, splits: lost });
    // Splits whose finish is committed need no lease; splits no longer listed are given back.
    const done = [...renewed].filter(([id, finished]) => finished || !state.known.has(id)).map(([id]) => id);
    if (done.length > 0) await this.#releaseWith(client, state, done);

    const { rows: counts } = await client.query(`SELECT count(*) FILTER (WHERE NOT finished)::int AS unfinished FROM ${this.#table} WHERE source = $1 AND split = ANY($2::text[])`, [source, known]);
    const unfinished = Number(counts[0]?.['unfinished'] ?? 0);
    for (const id of state.giving) if (!state.held.has(id)) state.giving.delete(id);
    if (state.assigned !== null) {
      await this.#followAssignment(client, state, state.assigned ?? new Set(), known);
    } else {
      await this.#takeShare(client, state, members, unfinished, known);
    }
    if (state.stopped) return;
    this.#emit(state);
    if (enumerated && unfinished === 0 && state.held.size === 0) {
      state.stopped = true;
      await client.query(`DELETE FROM ${this.#members} WHERE source = $1 AND member = $2`, [source, this.member]);
      if (this.#sources.get(source) === (state as unknown as SourceState<SourceSplit>)) this.#sources.delete(source);
      state.complete();
    }
  }

  /** Balance by member count: gives back above this process's share, takes free splits below it. */
  async #takeShare<S extends SourceSplit>(client: PgClient, state: SourceState<S>, members: readonly string[], unfinished: number, known: readonly string[]): Promise<void> {
    const n = Math.max(1, members.length);
    const rank = Math.max(0, members.indexOf(this.member));
    const share = Math.floor(unfinished / n) + (rank < unfinished % n ? 1 : 0);
    await this.#giveBackOverdue(client, state);
    // Splits on their way out stay on their way out (taking one back would read it again from
    // its older committed position); only the others count as this process's share.
    const mine = state.held.size - state.giving.size;
    if (mine > share) {
      const give = [...state.held.keys()].filter((id) => !state.giving.has(id)).sort().slice(share);
      if (state.giving.size === 0) state.givingSince = this.#scheduler.now();
      for (const id of give) state.giving.add(id);
    }
    if (mine < share) {
      const { rows } = await client.query(
        `WITH free AS (
           SELECT split FROM ${this.#table}
           WHERE source = $1 AND split = ANY($2::text[]) AND NOT finished AND (owner IS NULL OR expires_at <= now())
           ORDER BY split LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE ${this.#table} AS l SET owner = $4, token = l.token + 1, expires_at = now() + $5 * interval '1 millisecond'
         FROM free WHERE l.source = $1 AND l.split = free.split
         RETURNING l.split, l.token::text AS token, l."offset" AS off, l.finished, l.epoch`,
        [state.source, known, share - mine, this.member, this.leaseMs],
      );
      this.#acquired(state, rows);
    }
  }

  /**
   * Balance by an outside assignment: splits held but no longer assigned are given back at the
   * next commit (as for balance); assigned splits are taken once free (given back, or their
   * lease ran out), retried soon while some are still held elsewhere.
   */
  async #followAssignment<S extends SourceSplit>(client: PgClient, state: SourceState<S>, assigned: ReadonlySet<string>, known: readonly string[]): Promise<void> {
    const give = [...state.held.keys()].filter((id) => !assigned.has(id) && !state.giving.has(id));
    if (give.length > 0) {
      if (state.giving.size === 0) state.givingSince = this.#scheduler.now();
      for (const id of give) state.giving.add(id);
    }
    await this.#giveBackOverdue(client, state);
    // A split on its way out that is assigned here again stays on its way out: taking it back
    // at once would read it again from its older committed position.
    const wanted = known.filter((key) => {
      const id = JSON.parse(key) as string;
      return assigned.has(id) && !state.held.has(id);
    });
    if (wanted.length === 0) return;
    const { rows } = await client.query(
      `WITH free AS (
         SELECT split FROM ${this.#table}
         WHERE source = $1 AND split = ANY($2::text[]) AND NOT finished AND (owner IS NULL OR expires_at <= now())
         ORDER BY split FOR UPDATE SKIP LOCKED)
       UPDATE ${this.#table} AS l SET owner = $3, token = l.token + 1, expires_at = now() + $4 * interval '1 millisecond'
       FROM free WHERE l.source = $1 AND l.split = free.split
       RETURNING l.split, l.token::text AS token, l."offset" AS off, l.finished, l.epoch`,
      [state.source, wanted, this.member, this.leaseMs],
    );
    this.#acquired(state, rows);
    if (rows.length < wanted.length && !state.retrying) {
      // Some are still held elsewhere (or finished: then the retry finds nothing and stops).
      const waiting = (await client.query(`SELECT count(*)::int AS n FROM ${this.#table} WHERE source = $1 AND split = ANY($2::text[]) AND NOT finished AND owner IS DISTINCT FROM $3`, [state.source, wanted, this.member])).rows;
      if (Number(waiting[0]?.['n'] ?? 0) === 0) return;
      state.retrying = true;
      this.#scheduler.schedule(() => {
        state.retrying = false;
        this.#sync(state);
      }, Math.min(ASSIGNED_RETRY_MS, this.renewMs));
    }
  }

  /** Records splits just taken (rows of an acquiring UPDATE) and reports them. */
  #acquired<S extends SourceSplit>(state: SourceState<S>, rows: ReadonlyArray<Record<string, unknown>>): void {
    const acquired: string[] = [];
    const from: Array<string | null> = [];
    for (const row of rows) {
      const id = JSON.parse(String(row['split'])) as string;
      const position = row['epoch'] === null ? undefined : { offset: (row['off'] as string | null) ?? null, finished: row['finished'] === true };
      state.held.set(id, { token: String(row['token']), position });
      acquired.push(id);
      from.push(position?.offset ?? null);
    }
    if (acquired.length > 0) this.#events.next({ type: 'acquired', source: state.source, splits: acquired, from });
  }

  /** Emits the held set if it changed, in the enumerator's order. */
  #emit<S extends SourceSplit>(state: SourceState<S>): void {
    const held: Array<LeasedSplit<S>> = [];
    for (const [id, split] of state.known) {
      const lease = state.held.get(id);
      // A split being given back is no longer read; its lease stays until a commit writes
      // where its reading stopped (the source records it once more for that).
      if (lease !== undefined && !state.giving.has(id)) held.push({ split, position: lease.position, token: lease.token });
    }
    const text = JSON.stringify(held.map(({ split }) => [split.id, state.held.get(split.id)!.token]));
    if (text === state.emitted) return;
    state.emitted = text;
    state.emit(held);
  }

  #release<S extends SourceSplit>(state: SourceState<S>, ids: readonly string[], leaving: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#run('release leases', async (client) => {
      await this.#releaseWith(client, state, ids);
      if (leaving) await client.query(`DELETE FROM ${this.#members} WHERE source = $1 AND member = $2`, [state.source, this.member]);
    });
  }

  /**
   * Splits on their way out for longer than the handover timeout: no commit came (a stalled sink)
   * to hand them over at a written position, so they go back as they are, from their last
   * committed position.
   */
  async #giveBackOverdue<S extends SourceSplit>(client: PgClient, state: SourceState<S>): Promise<void> {
    if (state.giving.size > 0 && this.#scheduler.now() - state.givingSince > this.handoverTimeoutMs) {
      await this.#releaseWith(client, state, [...state.giving], true);
    }
  }

  /** `unwritten`: the splits go without a commit of where their reading stopped (see {@link LeaseEvent}). */
  async #releaseWith<S extends SourceSplit>(client: PgClient, state: SourceState<S>, ids: readonly string[], unwritten = false): Promise<void> {
    if (ids.length === 0) return;
    await client.query(
      `UPDATE ${this.#table} AS l SET owner = NULL, expires_at = '-infinity' FROM unnest($3::text[], $4::bigint[]) AS h(split, token)
       WHERE l.source = $1 AND l.split = h.split AND l.owner = $2 AND l.token = h.token`,
      [state.source, this.member, ids.map(keyText), ids.map((id) => state.held.get(id)?.token ?? '-1')],
    );
    for (const id of ids) {
      state.held.delete(id);
      state.giving.delete(id);
    }
    this.#events.next({ type: 'released', source: state.source, splits: [...ids], ...(unwritten ? { unwritten } : {}) });
  }

  /** Runs `body` after every call made before it; failures name the table, never a password. */
  #run<R>(what: string, body: (client: PgClient) => Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new Error(`PostgresSplitLeases: ${this.description} is closed`));
    const result = this.#tail.then(
      () => body(this.#client),
      () => body(this.#client),
    );
    this.#tail = result.catch(() => undefined);
    return result.catch((err: unknown) => {
      throw new Error(`PostgresSplitLeases: cannot ${what} in ${this.description}: ${scrub(messageOf(err), this.#secrets)}`);
    });
  }
}

/** Split ids as stored: JSON text, so any JavaScript string (a NUL, a lone surrogate) fits in `text`. */
function keyText(id: string): string {
  return JSON.stringify(id);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
