import type { TestContext } from 'node:test';

/**
 * Whether tests must fail, rather than skip, when a real server they need is absent.
 * `.ci/run` sets `TRIBUTARY_REQUIRE_PEERS=1`.
 */
export const requirePeers = process.env.TRIBUTARY_REQUIRE_PEERS === '1';

/**
 * Skips the test with `howToStart` when `available` is false, or fails it under
 * `TRIBUTARY_REQUIRE_PEERS=1`. Returns whether the test may go on.
 *
 * @example
 * test('reads a topic', async (t) => {
 *   if (!needPeer(t, brokers !== undefined, 'Kafka: run `npm run peers:up` and set KAFKA_BROKERS')) return;
 *   ...
 * });
 */
export function needPeer(t: TestContext, available: boolean, howToStart: string): boolean {
  if (available) return true;
  if (requirePeers) throw new Error(`required peer is absent (TRIBUTARY_REQUIRE_PEERS=1): ${howToStart}`);
  t.skip(`peer absent: ${howToStart}`);
  return false;
}
