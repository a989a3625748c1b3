// "Publish a saga effect once": activities insert the record into the outbox (store.ts, with their own database
// write when they have one), one relay per shard publishes it in a Kafka transaction that fences earlier leaders.
export { DEFAULT_OUTBOX_SHARDS, DEFAULT_TRANSACTIONAL_ID_PREFIX, shardOf } from './shard';
export { enqueueCte, enqueueEffect, enqueueParams, ENQUEUE_NOTIFIED, outboxEffect, type OutboxEffect, type Queryable } from './store';
export { OutboxRelay, startOutboxRelays, type OutboxRelayOptions } from './relay';
