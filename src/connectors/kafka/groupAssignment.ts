import type { Consumer, Kafka } from 'kafkajs';
import { Observable, timer, type SchedulerLike } from 'rxjs';
import { kafkaClientErrorMessage } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { stickyAssignor } from './groupAssignor.js';
import type { KafkaJsModule } from './loadKafkaJs.js';
import { DISCONNECT_TIMEOUT_MS, withTimeout } from './withTimeout.js';

/** What {@link groupAssignment} needs of the source's client owner (the consumer hub). */
export interface GroupAssignmentClients {
  client(): Promise<Kafka>;
  kafkajs(): Promise<KafkaJsModule>;
  /** Keeps a clean-up (leaving the group) in the source's `closed()` view until it settles. */
  track(promise: Promise<unknown>): void;
}

/**
 * This process's partitions as Kafka's consumer-group protocol assigns them: joins
 * `config.assignmentGroup` on subscription (balanced and sticky, see {@link stickyAssignor}),
 * emits the assigned partitions after every join, and leaves the group on unsubscription (so the
 * others get its partitions at once, not after a session timeout).
 *
 * The member only takes part in the protocol: its partitions are paused from the start and it
 * never fetches or commits (the source's own consumer reads; positions live in tributary's state).
 * kafkajs rejoins by itself when the group rebalances (a member joined, left, or timed out).
 *
 * A member cut off from the broker (but not from the leases' database) is, for the group, gone
 * after the session timeout and its partitions reassigned, while it could go on renewing their
 * leases and so keep the new holders waiting: so when no heartbeat or join succeeded for a
 * session plus a rebalance timeout (a join may block that long while the group waits for a
 * member), it emits an empty assignment and reads nothing until a heartbeat or a join succeeds
 * again. A member stopped by SIGSTOP has lost its leases by then anyway: they fence whatever it
 * still tries to commit.
 *
 * ```
 * joins:       a---------------------------b     a = {0,1,2,3}; b = {0,1} (a member joined)
 * heartbeats:  --h-----------------h--------
 * emitted:     a-------------e-----a-------b     e = {} (no contact for session + rebalance timeout)
 * ```
 *
 * @example
 * const clients = { client: () => hub.client(), kafkajs: loadKafkaJs, track: (p) => hub.track(p) };
 * groupAssignment(clients, config, asyncScheduler).subscribe((partitions) => console.log([...partitions]));
 */
export function groupAssignment(clients: GroupAssignmentClients, config: KafkaSourceConfig, scheduler: SchedulerLike): Observable<ReadonlySet<number>> {
  const group = config.assignmentGroup;
  if (group === null) throw new TypeError(`Kafka source '${config.source}': no assignment group (assignment is not 'group')`);
  return new Observable<ReadonlySet<number>>((subscriber) => {
    /** The partitions of the last join. */
    let current: readonly number[] = [];
    let lastContact = scheduler.now();
    let lost = false;
    let stopped = false;
    let consumer: Consumer | undefined;
    const emit = (): void => {
      subscriber.next(new Set(lost ? [] : current));
    };
    const rebalanceTimeout = config.groupSessionTimeoutMs * 2;
    const fail = (err: unknown): void => {
      if (stopped) return;
      subscriber.error(new Error(`Kafka source '${config.source}': assignment group '${group}': ${kafkaClientErrorMessage(err, config.brokers)}`, { cause: err }));
    };
    const watch = timer(config.groupSessionTimeoutMs / 4, config.groupSessionTimeoutMs / 4, scheduler).subscribe(() => {
      if (lost || scheduler.now() - lastContact <= config.groupSessionTimeoutMs + rebalanceTimeout) return;
      // The group has surely reassigned our partitions by now: stop reading them.
      lost = true;
      emit();
    });
    const started = (async () => {
      const kafkajs = await clients.kafkajs();
      const kafka = await clients.client();
      if (stopped) return;
      const c = kafka.consumer({
        groupId: group,
        partitionAssigners: [stickyAssignor(kafkajs, config.topic, () => (lost ? [] : current))],
        sessionTimeout: config.groupSessionTimeoutMs,
        // Kafka's usual ratio (a third of the session timeout) would leave one missed
        // heartbeat of margin on a loaded machine; a fifth leaves four.
        heartbeatInterval: Math.max(100, Math.floor(config.groupSessionTimeoutMs / 5)),
        // How long a rebalance waits for members to rejoin: a member rejoins at its next
        // heartbeat, so twice the session timeout is ample and bounds a stalled rebalance.
        rebalanceTimeout,
        // It never fetches: this is only how often its idle loop wakes (and heartbeats).
        maxWaitTimeInMs: Math.max(100, Math.min(500, Math.floor(config.groupSessionTimeoutMs / 10))),
        allowAutoTopicCreation: false,
      });
      consumer = c;
      const { GROUP_JOIN, HEARTBEAT, CRASH } = c.events;
      c.on(GROUP_JOIN, (event) => {
        lastContact = scheduler.now();
        lost = false;
        // Paused before the runner's first fetch: the source's own consumer reads these.
        c.pause([{ topic: config.topic }]);
        current = [...(event.payload.memberAssignment[config.topic] ?? [])].sort((a, b) => a - b);
        emit();
      });
      c.on(HEARTBEAT, () => {
        lastContact = scheduler.now();
        // A heartbeat of the same generation succeeded: the group never dropped us (the machine
        // was only slow), so the assignment stands again.
        if (!lost) return;
        lost = false;
        emit();
      });
      c.on(CRASH, (event) => {
        if (!event.payload.restart) fail(event.payload.error);
      });
      await c.connect();
      await c.subscribe({ topic: config.topic });
      await c.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
      c.pause([{ topic: config.topic }]);
    })();
    started.catch(fail);
    return () => {
      stopped = true;
      watch.unsubscribe();
      clients.track(
        started
          .catch(() => undefined)
          .then(() => (consumer === undefined ? undefined : withTimeout(consumer.disconnect(), DISCONNECT_TIMEOUT_MS, scheduler))),
      );
    };
  });
}
