import type { AdminMessageId } from './messageId.js';
import { PulsarCallError, isNetworkError, scrub } from './pulsarErrors.js';
import { topicPath, type PulsarTopicName } from './pulsarTopic.js';

/**
 * The few admin REST calls the connector makes (partition count, last message id, message id by
 * publish time), over Node's `fetch`: no client library needed. Every call is bounded by
 * `timeoutMs` and by the caller's signal; failures are {@link PulsarCallError}s that say whether
 * a retry may help, with the token scrubbed.
 * @internal
 */
export class PulsarAdmin {
  constructor(
    private readonly adminUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Partitions of a partitioned topic; 0 for a non-partitioned one. */
  async partitions(topic: PulsarTopicName, signal?: AbortSignal): Promise<number> {
    const body = (await this.get(`/admin/v2/${topicPath(topic)}/partitions`, `topic '${topic.full}'`, signal)) as { partitions?: unknown };
    const n = body?.partitions;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new PulsarCallError(`unexpected partition metadata for '${topic.full}': ${JSON.stringify(body).slice(0, 200)}`, false);
    return n;
  }

  /** The id of the last message written to a (partition) topic; entryId -1 when it has none. */
  async lastMessageId(topic: PulsarTopicName, signal?: AbortSignal): Promise<AdminMessageId> {
    return messageIdOf(await this.get(`/admin/v2/${topicPath(topic)}/lastMessageId`, `topic '${topic.full}'`, signal), topic);
  }

  /** The id of the first message published at or after `timestampMs` (past the end when none is). */
  async messageIdAt(topic: PulsarTopicName, timestampMs: number, signal?: AbortSignal): Promise<AdminMessageId> {
    return messageIdOf(await this.get(`/admin/v2/${topicPath(topic)}/messageid/${timestampMs}`, `topic '${topic.full}'`, signal), topic);
  }

  /**
   * The backlog of the reader named `readerName` on a (partition) topic: messages after what the
   * broker has dispatched to it (a reader acknowledges as it receives, so its subscription's
   * `msgBacklog` is what it has yet to get). `undefined` when no such reader is attached. With
   * several (a reconnect overlapping the old session), the largest: lag is never understated.
   */
  async readerBacklog(topic: PulsarTopicName, readerName: string, signal?: AbortSignal): Promise<number | undefined> {
    const body = (await this.get(`/admin/v2/${topicPath(topic)}/stats`, `topic '${topic.full}'`, signal)) as {
      subscriptions?: Record<string, { msgBacklog?: unknown; consumers?: Array<{ consumerName?: unknown }> }>;
    };
    let backlog: number | undefined;
    for (const sub of Object.values(body?.subscriptions ?? {})) {
      if (typeof sub.msgBacklog !== 'number' || !(sub.consumers ?? []).some((c) => c.consumerName === readerName)) continue;
      backlog = Math.max(backlog ?? 0, sub.msgBacklog);
    }
    return backlog;
  }

  private async get(path: string, what: string, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.adminUrl}${path}`;
    const secrets = this.token !== undefined ? [this.token] : [];
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}) },
        signal: signal !== undefined ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const reason = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      throw new PulsarCallError(scrub(`GET ${url}: ${reason}${typeof code === 'string' ? ` (${code})` : ''}`, secrets), timeout.aborted || isNetworkError(err), undefined, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let reason = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { reason?: unknown };
        if (typeof parsed.reason === 'string') reason = parsed.reason;
      } catch {
        // not JSON: keep the text
      }
      const status = res.status;
      const hint = status === 404 ? `: ${what} does not exist` : status === 401 || status === 403 ? ': authentication or authorization refused (check pulsar.auth.token)' : '';
      throw new PulsarCallError(scrub(`GET ${url} answered ${status}${hint} (${reason})`, secrets), status >= 500 || status === 429, status);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new PulsarCallError(`GET ${url} answered ${res.status} with something that is not JSON: ${scrub(text.slice(0, 120), secrets)}`, false, res.status, { cause: err });
    }
  }
}

function messageIdOf(body: unknown, topic: PulsarTopicName): AdminMessageId {
  const id = body as Partial<AdminMessageId> | null;
  if (id === null || typeof id !== 'object' || typeof id.ledgerId !== 'number' || typeof id.entryId !== 'number') {
    throw new PulsarCallError(`unexpected message id for '${topic.full}': ${JSON.stringify(body).slice(0, 200)}`, false);
  }
  return id as AdminMessageId;
}
