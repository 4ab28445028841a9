/** A topic name resolved to its parts. @internal */
export interface PulsarTopicName {
  readonly domain: 'persistent' | 'non-persistent';
  readonly tenant: string;
  readonly namespace: string;
  /** The local name, without the `-partition-N` suffix of a partition. */
  readonly local: string;
  /** `persistent://tenant/namespace/local`. */
  readonly full: string;
}

const PART = /^[A-Za-z0-9_=:.\-%]+$/;

/**
 * Resolves a topic as Pulsar clients accept it: `name` (in `public/default`),
 * `tenant/namespace/name`, or `persistent://tenant/namespace/name` (`non-persistent://` too).
 * Refuses anything else, including characters that would change a REST or WebSocket path.
 */
export function parseTopicName(topic: string): PulsarTopicName {
  const match = /^(?:(persistent|non-persistent):\/\/)?(.*)$/.exec(topic.trim())!;
  const domain = (match[1] ?? 'persistent') as PulsarTopicName['domain'];
  const parts = match[2]!.split('/');
  let tenant = 'public';
  let namespace = 'default';
  let local: string;
  if (parts.length === 1 && match[1] === undefined) local = parts[0]!;
  else if (parts.length === 3) [tenant, namespace, local] = parts as [string, string, string];
  else throw new TypeError(`pulsar topic '${topic}': expected 'name', 'tenant/namespace/name' or 'persistent://tenant/namespace/name'`);
  for (const part of [tenant, namespace, local]) {
    if (!PART.test(part)) throw new TypeError(`pulsar topic '${topic}': '${part}' is not a valid name part`);
  }
  return { domain, tenant, namespace, local, full: `${domain}://${tenant}/${namespace}/${local}` };
}

/** The name of partition `index` of a partitioned topic (Pulsar's `-partition-N` convention). */
export function partitionName(topic: PulsarTopicName, index: number): PulsarTopicName {
  const local = `${topic.local}-partition-${index}`;
  return { ...topic, local, full: `${topic.domain}://${topic.tenant}/${topic.namespace}/${local}` };
}

/** `persistent/tenant/namespace/local`: how REST and WebSocket paths name a topic. */
export function topicPath(topic: PulsarTopicName): string {
  return [topic.domain, topic.tenant, topic.namespace, topic.local].map(encodeURIComponent).join('/');
}
