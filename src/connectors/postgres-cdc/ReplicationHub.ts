import type { Subscriber } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { UNCHANGED, truncation, withOp, type ChangeOp } from '../../core/Changelog.js';
import type { BadRecordHandler } from '../../core/BadRecordHandler.js';
import { BadRecordError, SourceError } from '../../core/SourceError.js';
import { backoffDelay } from '../base/backoff.js';
import { sleep } from '../base/sleep.js';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { Row, RowConverter } from '../../formats/Format.js';
import { formatCdcOffset, type CdcOffset } from './CdcOffset.js';
import { formatLsn, parseLsn, readLsn, type Lsn } from './Lsn.js';
import { describePgError } from './pgErrors.js';
import { decodePgoutput, type RelationColumn, type Tuple } from './pgoutput.js';
import type { PgClient, PgModule } from './loadPg.js';
import { parsePgValue } from './pgValue.js';
import { pgConnectionSettings, type PostgresCdcConfig } from './postgresCdcProperties.js';
import type { PostgresTableSplit } from './PostgresTableSplit.js';

/** One split's reader as the hub sees it: where it stands and where its chunks go. */
interface Member {
  readonly split: PostgresTableSplit;
  readonly subscriber: Subscriber<Chunk<Row>>;
  /** The last position emitted (what a checkpoint taken now stores). */
  position: CdcOffset | null;
  paused: boolean;
  /** The table's columns as first seen in this run (snapshot or first Relation message), for columns added later. */
  columns: Set<string> | undefined;
  /** Counts the WAL bytes of the split's changes (the source's metrics), when the source keeps metrics. */
  readonly bytes: ((n: number) => void) | undefined;
  /** The source's bad-record policy: a row the declared columns refuse (a numeric NaN) goes to it. */
  readonly badRecords: BadRecordHandler | undefined;
}

interface RelationInfo {
  readonly splitId: string | undefined;
  readonly columns: readonly RelationColumn[];
}

/** The internals of `pg`'s connection a replication stream needs (CopyBoth mode is not in its API). */
interface CopyBothConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  readonly stream: { pause(): void; resume(): void };
}

const PG_EPOCH_MS = 946_684_800_000;

/**
 * One logical replication stream shared by the splits (tables) of a postgres-cdc source run:
 * a slot streams every table of its publication, so the tables' readers register here and the
 * hub hands each one its table's changes. It starts once every configured table has a reader.
 *
 * - Start: checks wal_level and the publication (creating it when allowed), finds or creates the
 *   slot; a first start creates the slot with an exported snapshot and reads every table inside
 *   that snapshot (`SET TRANSACTION SNAPSHOT`), so the snapshot and the stream meet exactly at
 *   the slot's consistent point.
 * - Stream: `START_REPLICATION` from the lowest position of the splits; each split skips the
 *   transactions (and the first changes of a partly emitted one) it already emitted. A
 *   transaction's changes of a table are emitted in chunks of at most `batchRows`; at its commit
 *   every split moves to the commit's end LSN (an empty chunk for splits it did not touch), so a
 *   quiet table does not hold the slot back.
 * - The slot's confirmed flush LSN is only ever reported as {@link confirm}ed: the reader calls it
 *   from the checkpoint-complete hook with the lowest LSN of a committed checkpoint. Keepalive
 *   replies report that, never what was received.
 * - The server going away while streaming: reconnect with exponential backoff (on the source's
 *   scheduler) from the positions emitted, up to `reconnectAttempts`; nothing is lost or
 *   emitted twice. During the snapshot it fails (an exported snapshot cannot be resumed); a
 *   restart from a position inside the first snapshot takes it again from a new slot, each
 *   table's rows preceded by a TRUNCATE row that retracts what the interrupted one delivered.
 */
export class ReplicationHub {
  private readonly members = new Map<string, Member>();
  private started = false;
  private closed = false;
  /** Aborted on close: ends every wait at once (the base's `sleep` takes it). */
  private readonly abort = new AbortController();
  private replication: PgClient | undefined;
  private copy: CopyBothConnection | undefined;
  private readonly relations = new Map<number, RelationInfo>();
  /** Transaction in progress: its commit LSN, and per split the changes seen and buffered. */
  private txn: { finalLsn: Lsn; seen: Map<string, number>; buffered: Map<string, Row[]> } | undefined;
  private lastReceived = 0n;
  /** Size of the pgoutput message being decoded (a change is counted into its split's bytes). */
  private messageBytes = 0;
  private attempt = 0;
  private readonly secrets: readonly string[];

  constructor(
    private readonly pg: PgModule,
    private readonly config: PostgresCdcConfig,
    private readonly sourceName: string,
    private readonly scheduler: SchedulerLike,
    /** The lowest LSN the slot may confirm (shared with the reader, which raises it). */
    private readonly confirmed: { lsn: Lsn },
    private readonly convert: RowConverter | undefined,
    private readonly onClosed: () => void,
  ) {
    this.secrets = config.password !== undefined && config.password !== '' ? [config.password] : [];
  }

  /** Adds a split's reader; the stream starts when every configured table has one. */
  register(split: PostgresTableSplit, offset: CdcOffset | null, subscriber: Subscriber<Chunk<Row>>, bytes?: (n: number) => void, badRecords?: BadRecordHandler): void {
    this.members.set(split.id, { split, subscriber, position: offset, paused: false, columns: undefined, bytes, badRecords });
    if (!this.started && this.config.tables.every((t) => this.members.has(splitIdOf(this.config.schema, t)))) {
      this.started = true;
      this.run().catch((err: unknown) => this.fail(err, 'starting'));
    }
  }

  /** A reader unsubscribed: the hub closes with the last one. */
  unregister(splitId: string): void {
    this.members.delete(splitId);
    if (this.members.size === 0) this.close();
  }

  /** Flow control from a reader: the socket pauses while any reader is paused. */
  setPaused(splitId: string, paused: boolean): void {
    const member = this.members.get(splitId);
    if (member === undefined) return;
    member.paused = paused;
    const any = [...this.members.values()].some((m) => m.paused);
    if (any) this.copy?.stream.pause();
    else this.copy?.stream.resume();
  }

  /** Reports the (already raised) confirmed LSN to the server now, when streaming. */
  sendStatus(): void {
    const copy = this.copy;
    if (copy === undefined || this.confirmed.lsn === 0n) return;
    const message = Buffer.alloc(34);
    message[0] = 0x72; // 'r': standby status update
    message.writeBigUInt64BE(this.confirmed.lsn, 1); // written
    message.writeBigUInt64BE(this.confirmed.lsn, 9); // flushed: the slot's confirmed_flush_lsn
    message.writeBigUInt64BE(this.confirmed.lsn, 17); // applied
    message.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    message[33] = 0;
    copy.sendCopyFromChunk(message);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const client = this.replication;
    this.replication = undefined;
    this.copy = undefined;
    client?.end().catch(() => undefined);
    this.onClosed();
  }

  private redact(message: string): string {
    let out = message;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  private fail(err: unknown, doing: string, splitId?: string): void {
    if (this.closed) return;
    const message = err instanceof SourceError ? err.message : describePgError(err, this.config, doing).message;
    const members = [...this.members.values()];
    this.close();
    // Every split fails: they share the stream. An error that already names its source, split and
    // position (a bad record under `fail`, a column added upstream) goes out as it is: wrapping it
    // again would print that prefix twice.
    for (const m of members) {
      if (err instanceof SourceError) {
        m.subscriber.error(err);
        continue;
      }
      const offset = m.position === null ? undefined : formatCdcOffset(m.position);
      m.subscriber.error(new SourceError(this.redact(message), { source: this.sourceName, split: splitId ?? m.split.id, ...(offset !== undefined ? { offset } : {}) }, { cause: err }));
    }
  }

  private clientConfig(replication: boolean): Record<string, unknown> {
    return {
      ...pgConnectionSettings(this.config, `tributary:${this.sourceName}`),
      ...(replication ? { replication: 'database' } : {}),
      // Raw text for every type: values are converted by parsePgValue, not by pg's global parsers.
      types: { getTypeParser: () => (value: string) => value },
    };
  }

  private async connect(replication: boolean): Promise<PgClient> {
    const client = new this.pg.Client(this.clientConfig(replication));
    // A connection-level error (server gone) also rejects the query in flight; without a
    // listener it would be an uncaught 'error' event.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Sets up (retrying while the server is away), then streams. */
  private async run(): Promise<void> {
    for (;;) {
      try {
        await this.setUp();
        break;
      } catch (err) {
        if (this.closed) return;
        const transient = !(err instanceof SourceError) && describePgError(err, this.config, 'starting').transient;
        if (!transient || this.attempt >= this.config.reconnectAttempts) throw err;
        const old = this.replication;
        this.replication = undefined;
        await old?.end().catch(() => undefined);
        this.attempt++;
        await this.backoff();
      }
    }
    if (this.closed) return;
    await this.stream();
  }

  private backoff(): Promise<void> {
    return this.wait(backoffDelay(this.attempt, { baseMs: 200, maxMs: this.config.maxBackoffMs }));
  }

  /** Waits on the source's scheduler (virtual time in tests); returns at once when the hub closes. */
  private wait(ms: number): Promise<void> {
    return sleep(ms, this.abort.signal, this.scheduler);
  }

  /** Checks the server, the publication and the slot; creates the slot and reads the snapshot on a first start. */
  private async setUp(): Promise<void> {
    const c = this.config;
    const members = [...this.members.values()];
    // An interrupted first snapshot (a stored `snapshot:` position): its exported snapshot died
    // with the process, and nothing was streamed yet (the stream starts after every table's
    // snapshot), so it is taken again from a new slot; each table first gets a TRUNCATE, so
    // what the interrupted one delivered (rows deleted since among them) is retracted.
    const redo = members.some((m) => m.position?.kind === 'snapshot');
    if (redo && !c.slotCreate) {
      const m = members.find((x) => x.position?.kind === 'snapshot')!;
      throw new SourceError(
        `postgres-cdc: the initial snapshot of ${m.split.id} was interrupted (stored position ${formatCdcOffset(m.position!)}); taking it again needs a new slot, and slot.create is false: drop slot '${c.slotName}' and the source's state, or allow slot.create`,
        { source: this.sourceName, split: m.split.id, offset: formatCdcOffset(m.position!) },
      );
    }
    const query = await this.connect(false);
    try {
      const walLevel = String((await query.query('SHOW wal_level')).rows[0]?.wal_level ?? '');
      if (walLevel !== 'logical') throw Object.assign(new Error(`wal_level is '${walLevel}'`), { code: '55000' });
      await this.ensurePublication(query);
      type SlotRow = { lsn: string | null; active: string | boolean; active_pid: string | null };
      const readSlot = async (): Promise<SlotRow | undefined> =>
        (await query.query('SELECT confirmed_flush_lsn::text AS lsn, active, active_pid FROM pg_replication_slots WHERE slot_name = $1', [c.slotName])).rows[0] as SlotRow | undefined;
      const isActive = (s: SlotRow | undefined): boolean => s !== undefined && (s.active === true || s.active === 't');
      let slot = await readSlot();
      // A slot held at start is often our own previous process (killed, restarted at once):
      // the server frees the slot when it notices the dead connection. Wait that long only.
      for (let waited = 0; isActive(slot) && waited < c.connectTimeoutMs && !this.closed; waited += 200) {
        await this.wait(200);
        slot = await readSlot();
      }
      const fresh = redo ? members : members.filter((m) => m.position === null);
      if (fresh.length > 0 && fresh.length < members.length) {
        throw new SourceError(
          `postgres-cdc: table(s) ${fresh.map((m) => m.split.id).join(', ')} have no stored position while the others do: a table added to a running source cannot get a snapshot consistent with slot '${c.slotName}'; capture it with a new source and slot`,
          { source: this.sourceName, split: fresh[0]!.split.id },
        );
      }
      if (slot !== undefined && isActive(slot)) throw Object.assign(new Error(`replication slot "${c.slotName}" is active for PID ${slot.active_pid ?? '?'}`), { code: '55006' });
      if (slot !== undefined && slot.lsn !== null) {
        const lsn = parseLsn(slot.lsn);
        if (lsn > this.confirmed.lsn) this.confirmed.lsn = lsn;
      }
      if (fresh.length === 0) {
        if (slot === undefined) {
          const from = members.map((m) => formatCdcOffset(m.position!)).join(', ');
          throw new SourceError(
            `postgres-cdc: replication slot '${c.slotName}' does not exist, but the source's state resumes from ${from}: the changes since then are gone with the slot; drop the source's state (and take a new snapshot) to start over`,
            { source: this.sourceName, split: members[0]!.split.id },
          );
        }
      } else {
        if (slot !== undefined) {
          if (!c.slotCreate || c.snapshot) {
            if (c.snapshot) {
              if (!c.slotCreate) {
                throw new SourceError(
                  `postgres-cdc: replication slot '${c.slotName}' exists and slot.create is false: a snapshot consistent with an existing slot cannot be taken; set snapshot = false to read only its changes`,
                  { source: this.sourceName, split: members[0]!.split.id },
                );
              }
              // No stored position and a slot of our name: a first run that never committed a
              // checkpoint (or one whose snapshot was interrupted). Its slot's start is covered
              // by no complete snapshot: make a new one.
              await query.query('SELECT pg_drop_replication_slot($1)', [c.slotName]);
            }
          }
        } else if (!c.slotCreate) {
          throw new SourceError(`postgres-cdc: replication slot '${c.slotName}' does not exist and slot.create is false`, { source: this.sourceName, split: members[0]!.split.id });
        }
        // With snapshot = false an existing slot is read from its confirmed LSN as it is.
        if (slot === undefined || c.snapshot) await this.createSlotAndSnapshot(members, redo);
        else {
          const start = parseLsn(slot.lsn ?? '0/0');
          for (const m of members) this.emit(m, [], { kind: 'stream', lsn: start, skip: 0 });
        }
      }
    } finally {
      await query.end().catch(() => undefined);
    }
  }

  private async ensurePublication(query: PgClient): Promise<void> {
    const c = this.config;
    const exists = (await query.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [c.publicationName])).rows.length > 0;
    const tables = c.tables.map((t) => `${quoteIdent(c.schema)}.${quoteIdent(t)}`);
    if (!exists) {
      if (!c.publicationCreate) {
        throw new SourceError(`postgres-cdc: publication '${c.publicationName}' does not exist and publication.create is false`, { source: this.sourceName });
      }
      await query.query(`CREATE PUBLICATION ${quoteIdent(c.publicationName)} FOR TABLE ${tables.join(', ')}`);
      return;
    }
    const listed = new Set(
      (await query.query('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [c.publicationName])).rows.map(
        (r: Record<string, unknown>) => `${String(r.schemaname)}.${String(r.tablename)}`,
      ),
    );
    const missing = c.tables.filter((t) => !listed.has(`${c.schema}.${t}`));
    if (missing.length === 0) return;
    if (!c.publicationCreate) {
      throw new SourceError(`postgres-cdc: publication '${c.publicationName}' does not list ${missing.map((t) => `${c.schema}.${t}`).join(', ')} and publication.create is false`, { source: this.sourceName });
    }
    await query.query(`ALTER PUBLICATION ${quoteIdent(c.publicationName)} ADD TABLE ${missing.map((t) => `${quoteIdent(c.schema)}.${quoteIdent(t)}`).join(', ')}`);
  }

  /** Creates the slot exporting a snapshot, and reads every table inside that snapshot. */
  private async createSlotAndSnapshot(members: readonly Member[], redo: boolean): Promise<void> {
    const c = this.config;
    const replication = await this.connect(true);
    this.replication = replication;
    const snapshotMode = c.snapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT';
    const created = (await replication.query(`CREATE_REPLICATION_SLOT ${quoteIdent(c.slotName)} LOGICAL pgoutput ${snapshotMode}`)).rows[0] as {
      consistent_point: string;
      snapshot_name: string | null;
    };
    const start = parseLsn(created.consistent_point);
    // The new slot's confirmed LSN is its consistent point: reporting it changes nothing, and
    // keepalive replies before the first checkpoint commits keep the connection alive.
    if (start > this.confirmed.lsn) this.confirmed.lsn = start;
    if (!c.snapshot || created.snapshot_name === null) {
      for (const m of members) this.emit(m, [], { kind: 'stream', lsn: start, skip: 0 });
      return;
    }
    // Every table's transaction imports the snapshot before the replication connection runs
    // anything else (the next command on it ends the exported snapshot).
    const readers: PgClient[] = [];
    try {
      for (const m of members) {
        const client = await this.connect(false);
        readers.push(client);
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query(`SET TRANSACTION SNAPSHOT '${created.snapshot_name.replace(/'/g, "''")}'`);
        await client.query(`DECLARE tributary_snapshot NO SCROLL CURSOR FOR SELECT * FROM ${quoteIdent(c.schema)}.${quoteIdent(m.split.table)}`);
      }
      if (redo) {
        for (const m of members) if (m.position !== null) this.emit(m, [truncation()], { kind: 'snapshot', lsn: start, rows: 0 });
      }
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        const client = readers[i]!;
        let rows = 0;
        for (;;) {
          await this.whilePaused();
          if (this.closed) return;
          const result = await client.query(`FETCH ${c.batchRows} FROM tributary_snapshot`);
          if (result.rows.length === 0) break;
          const fields = result.fields.map((f: { name: string; dataTypeID: number }) => [f.name, f.dataTypeID] as const);
          m.columns ??= new Set(fields.map(([name]) => name));
          const out: Row[] = [];
          let read = rows;
          for (const raw of result.rows as Record<string, string | null>[]) {
            read++;
            const row: Row = {};
            for (const [name, oid] of fields) {
              const v = raw[name];
              row[name] = v === null || v === undefined ? null : parsePgValue(oid, v);
            }
            const converted = this.converted(m, row, () => `snapshot row ${read}`);
            if (converted !== undefined) out.push(converted);
          }
          // Rows read, bad ones included: the position counts the table's rows, not those emitted.
          rows = read;
          this.emit(m, out, { kind: 'snapshot', lsn: start, rows });
        }
        this.emit(m, [], { kind: 'stream', lsn: start, skip: 0 });
        await client.query('COMMIT');
      }
    } catch (err) {
      // A bad record under `fail` names its own split and row, and a restart would meet it again.
      if (err instanceof BadRecordError) throw err;
      throw new SourceError(this.redact(`postgres-cdc: the initial snapshot failed (${describePgError(err, c, 'reading the snapshot').message}); a restart takes it again`), {
        source: this.sourceName,
      }, { cause: err });
    } finally {
      for (const client of readers) await client.end().catch(() => undefined);
    }
  }

  /**
   * `row` through the declared columns' converter. A value they refuse (PostgreSQL's numeric
   * `NaN`, a timestamptz `infinity`: nothing in the SQL types holds them) is a bad record of the
   * split at `at`: skipped or dead-lettered by the source's policy (undefined here), or under
   * `fail` the error that stops the source, naming source, split and position.
   */
  private converted(m: Member, row: Row, at: () => string): Row | undefined {
    if (this.convert === undefined) return row;
    try {
      return this.convert(row);
    } catch (err) {
      const error = new BadRecordError(this.redact((err as Error).message), { source: this.sourceName, split: m.split.id, offset: at() }, { cause: err });
      if (m.badRecords === undefined) throw error;
      m.badRecords.handle(error, null);
      return undefined;
    }
  }

  private async whilePaused(): Promise<void> {
    while (!this.closed && [...this.members.values()].some((m) => m.paused)) {
      await this.wait(20);
    }
  }

  /** Streams from the lowest emitted position; reconnects when the server goes away. */
  private async stream(): Promise<void> {
    const c = this.config;
    for (;;) {
      if (this.closed) return;
      let from = -1n;
      for (const m of this.members.values()) {
        const p = m.position;
        if (p === null || p.kind !== 'stream') continue;
        if (from < 0n || p.lsn < from) from = p.lsn;
      }
      if (from < 0n) from = 0n;
      try {
        let client = this.replication;
        if (client === undefined) {
          client = await this.connect(true);
          this.replication = client;
        }
        this.relations.clear();
        this.txn = undefined;
        const copy = (client as unknown as { connection: CopyBothConnection }).connection;
        copy.on('copyData', ({ chunk: data }) => this.onCopyData(data));
        this.copy = copy;
        const publication = `'${c.publicationName.replace(/'/g, "''")}'`;
        const streaming = client.query(`START_REPLICATION SLOT ${quoteIdent(c.slotName)} LOGICAL ${formatLsn(from)} (proto_version '1', publication_names ${publication})`);
        this.sendStatus();
        if ([...this.members.values()].some((m) => m.paused)) copy.stream.pause();
        await streaming;
        // The server ended the stream (it does not do that on its own): treat as gone.
        throw Object.assign(new Error('the replication stream ended'), { code: '08006' });
      } catch (err) {
        if (this.closed) return;
        const failure = err instanceof SourceError ? { transient: false, message: err.message } : describePgError(err, c, 'streaming changes');
        const old = this.replication;
        this.replication = undefined;
        this.copy = undefined;
        old?.end().catch(() => undefined);
        // A slot still held after a reconnect is most likely our own dead connection, which
        // the server has not noticed yet: retry it like a transient error.
        const transient = failure.transient || (this.attempt > 0 && /held by another consumer/.test(failure.message));
        if (!transient || this.attempt >= c.reconnectAttempts) {
          const suffix = transient ? ` (gave up after ${this.attempt} reconnects)` : '';
          this.fail(err instanceof SourceError ? err : new Error(failure.message + suffix), 'streaming changes');
          return;
        }
        this.attempt++;
        await this.backoff();
      }
    }
  }

  private onCopyData(data: Buffer): void {
    if (this.closed) return;
    try {
      if (data[0] === 0x77 /* w: XLogData */) {
        this.attempt = 0;
        const walStart = readLsn(data, 1);
        if (walStart > this.lastReceived) this.lastReceived = walStart;
        this.messageBytes = data.length - 25;
        this.onMessage(data.subarray(25));
      } else if (data[0] === 0x6b /* k: keepalive */) {
        if (data[17] === 1) this.sendStatus();
      }
    } catch (err) {
      this.fail(err, 'decoding the stream');
    }
  }

  private onMessage(payload: Buffer): void {
    const message = decodePgoutput(payload);
    switch (message.tag) {
      case 'begin':
        this.txn = { finalLsn: message.finalLsn, seen: new Map(), buffered: new Map() };
        return;
      case 'relation': {
        const id = splitIdOf(message.schema, message.table);
        const member = this.members.get(id);
        if (member !== undefined) this.checkColumns(member, message.columns);
        this.relations.set(message.relationId, { splitId: this.members.has(id) ? id : undefined, columns: message.columns });
        return;
      }
      case 'insert':
        this.change(message.relationId, [[message.newTuple, 'insert']]);
        return;
      case 'update': {
        const rows: Array<[Tuple, ChangeOp]> = [];
        if (message.oldTuple !== undefined) rows.push([message.oldTuple, 'update_before']);
        rows.push([message.newTuple, 'update_after']);
        this.change(message.relationId, rows, message.oldKind === 'key');
        return;
      }
      case 'delete':
        this.change(message.relationId, [[message.oldTuple, 'delete']], message.oldKind === 'key');
        return;
      case 'truncate':
        for (const relationId of message.relationIds) this.truncate(relationId);
        return;
      case 'commit':
        this.commit(message.endLsn);
        return;
      default:
        return;
    }
  }

  /**
   * A column added upstream while the source runs appears in the rows that follow; when a SQL
   * schema is declared and lacks it, the source fails naming it (it would vanish from every row).
   */
  private checkColumns(m: Member, columns: readonly RelationColumn[]): void {
    const names = columns.map((c) => c.name);
    const known = m.columns;
    if (known === undefined) {
      m.columns = new Set(names);
      return;
    }
    const declared = this.config.declaredColumns;
    const added = names.filter((n) => !known.has(n));
    for (const n of added) known.add(n);
    if (declared === undefined) return;
    const missing = added.filter((n) => !declared.includes(n));
    if (missing.length === 0) return;
    const at = this.txn === undefined ? '' : ` in the transaction committing at ${formatLsn(this.txn.finalLsn)}`;
    throw new SourceError(
      `postgres-cdc: column(s) ${missing.map((n) => `"${n}"`).join(', ')} added to ${m.split.id} (ALTER TABLE ... ADD COLUMN)${at} are not in the source's declared columns (${declared.join(', ')}): add them to the CREATE SOURCE/TABLE to keep their values, or drop them upstream`,
      { source: this.sourceName, split: m.split.id, ...(m.position !== null ? { offset: formatCdcOffset(m.position) } : {}) },
    );
  }

  /** The member a relation's change goes to, or undefined when it is not ours or already emitted. */
  private target(relationId: number): { member: Member; relation: RelationInfo } | undefined {
    const relation = this.relations.get(relationId);
    if (relation === undefined) throw new SyntaxError(`pgoutput: a change of relation ${relationId} before its Relation message`);
    if (relation.splitId === undefined) return undefined;
    const member = this.members.get(relation.splitId);
    if (member === undefined) return undefined;
    return { member, relation };
  }

  /**
   * Counts a change of `member` in the current transaction and says whether it was emitted
   * before (a resumed stream): the whole transaction when it committed before the member's
   * position, else its first `skip` changes.
   */
  private alreadyEmitted(member: Member): boolean {
    const txn = this.txn!;
    const seen = (txn.seen.get(member.split.id) ?? 0) + 1;
    txn.seen.set(member.split.id, seen);
    const p = member.position;
    if (p === null || p.kind !== 'stream') return false;
    if (txn.finalLsn < p.lsn) return true;
    return seen <= p.skip;
  }

  private change(relationId: number, images: ReadonlyArray<readonly [Tuple, ChangeOp]>, keyOnly = false): void {
    const t = this.target(relationId);
    if (t === undefined || this.txn === undefined) return;
    if (this.alreadyEmitted(t.member)) return;
    t.member.bytes?.(this.messageBytes);
    const buffered = this.txn.buffered.get(t.member.split.id) ?? [];
    this.txn.buffered.set(t.member.split.id, buffered);
    for (const [tuple, op] of images) {
      const row = toRow(t.relation.columns, tuple, keyOnly && op !== 'update_after');
      const txn = this.txn;
      const converted = this.converted(t.member, row, () => `LSN ${formatLsn(txn.finalLsn)}`);
      if (converted !== undefined) buffered.push(withOp(converted, op));
    }
    if (buffered.length >= this.config.batchRows) this.flush(t.member);
  }

  /**
   * A TRUNCATE is one changelog row, `truncation()`: the server names only the table, and the
   * rows it held are known to whoever keeps them (`toTable` deletes its rows), so the reader
   * keeps no key set and a TRUNCATE after a restart is as good as one before.
   */
  private truncate(relationId: number): void {
    const t = this.target(relationId);
    if (t === undefined || this.txn === undefined) return;
    if (this.alreadyEmitted(t.member)) return;
    const m = t.member;
    const buffered = this.txn.buffered.get(m.split.id) ?? [];
    this.txn.buffered.set(m.split.id, buffered);
    buffered.push(truncation());
    if (buffered.length >= this.config.batchRows) this.flush(m);
  }

  /**
   * Emits a split's buffered part of the transaction in progress. Its position stays at the
   * previous commit, plus the count of the table's changes of this transaction emitted so far
   * (changes, not rows: an update is two rows).
   */
  private flush(m: Member): void {
    const txn = this.txn!;
    const rows = txn.buffered.get(m.split.id);
    if (rows === undefined || rows.length === 0) return;
    txn.buffered.set(m.split.id, []);
    const p = m.position;
    const lsn = p !== null && p.kind === 'stream' ? p.lsn : 0n;
    this.emit(m, rows, { kind: 'stream', lsn, skip: txn.seen.get(m.split.id) ?? 0 });
  }

  private commit(endLsn: Lsn): void {
    const txn = this.txn;
    this.txn = undefined;
    for (const m of this.members.values()) {
      const p = m.position;
      if (p !== null && p.kind === 'stream' && p.lsn >= endLsn) continue;
      const rows = txn?.buffered.get(m.split.id) ?? [];
      this.emit(m, rows, { kind: 'stream', lsn: endLsn, skip: 0 });
    }
  }

  private emit(m: Member, rows: readonly Row[], next: CdcOffset): void {
    const from = m.position === null ? formatCdcOffset(next) : formatCdcOffset(m.position);
    m.position = next;
    m.subscriber.next(chunk(m.split.id, rows, from, formatCdcOffset(next)));
  }
}

/** The split id of a table: `schema.table`. */
export function splitIdOf(schema: string, table: string): string {
  return `${schema}.${table}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function toRow(columns: readonly RelationColumn[], tuple: Tuple, keyOnly: boolean): Row {
  const row: Row = {};
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (keyOnly && !column.isKey) continue;
    const v = tuple[i];
    row[column.name] = v === undefined || v === null ? null : v === UNCHANGED ? UNCHANGED : parsePgValue(column.typeOid, v);
  }
  return row;
}
