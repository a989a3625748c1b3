// One relay per outbox shard in every worker process; the one holding the shard's advisory lock leads and publishes
// the shard's rows in Kafka transactions. See README "Effects are published once".
import { randomBytes } from 'node:crypto';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { Client, type ClientConfig, type Notification } from 'pg';
import type { Logger } from '../../observability/logger';
import { attemptedUnsent, claimBatch, markSent, pruneSent, tryLeadShard } from './store';
import { ensureProgressTopic, lastCommittedBatch } from './progress';
import { DEFAULT_TRANSACTIONAL_ID_PREFIX, OUTBOX_LOCK_CLASS, outboxChannel, outboxTransactionalId, progressMessages, progressTopicOf, reconcileAttempted, requestsByPartition, transactionMessages, type OutboxRow } from './shard';
import { PartitionRouter, sendEveryPartition, withPartitions } from '../partitioned-send';

export interface OutboxRelayOptions {
  shard: number;
  kafka: Kafka;
  /** The relay's own connection: it holds the leader lock (a session lock), LISTENs and runs the relay's statements. */
  database: string | ClientConfig;
  logger?: Logger;
  /** Kafka transactional ids are `<prefix>-<shard>`; the same in every worker of one deployment. */
  transactionalIdPrefix?: string;
  /** How often a follower tries to take the lead (and a failed leader tries again). Default 1 s. */
  leaderRetryMs?: number;
  /** Safety net behind LISTEN/NOTIFY: the leader looks for rows this often anyway. Default 2 s. */
  pollMs?: number;
  /**
   * PostgreSQL ends a relay's session idle this long (idle_session_timeout), and with it the leader lock: a leader
   * whose process is frozen (SIGSTOP, a VM pause, a stuck event loop) holds its shard no longer than this. A live
   * leader queries at least every `pollMs`. Default 60 s.
   */
  idleSessionTimeoutMs?: number;
  maxRows?: number;
  maxBytes?: number;
  /** Sent rows are deleted after this long (a retry of the same effect must still find its row). Default 7 days. */
  retainSentMs?: number;
  /** Tests only: runs in the open transaction, after the send and before the commit. */
  beforeCommit?: (rows: ReadonlyArray<OutboxRow>) => Promise<void>;
}

const PRUNE_EVERY_MS = 10 * 60_000;

/** The term of a leader ended because its connection (and with it the lock) is gone. */
class LeadershipLost extends Error {
  readonly code = 'OUTBOX_LEADERSHIP_LOST';
}

export class OutboxRelay {
  private stopping = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private dirty = false;
  private leadingNow = false;
  private pid?: number;
  private readonly log: Logger | undefined;
  private readonly transactionalId: string;
  /** Partitions of the topics this relay writes to (fetched anew each term: a term ends on any send error). */
  private readonly router: PartitionRouter;
  /** This relay's current lead, named in the records it publishes (OUTBOX_TXN_HEADER). */
  private term = '';

  constructor(private readonly o: OutboxRelayOptions) {
    this.log = o.logger?.child({ component: 'outbox-relay', shard: o.shard });
    this.transactionalId = outboxTransactionalId(o.transactionalIdPrefix ?? DEFAULT_TRANSACTIONAL_ID_PREFIX, o.shard);
    this.router = new PartitionRouter(o.kafka);
  }

  get shard(): number {
    return this.o.shard;
  }

  /** Whether this relay leads its shard now. */
  get leading(): boolean {
    return this.leadingNow;
  }

  /** PostgreSQL backend pid of the relay's connection (tests end it to take the lead away). */
  get backendPid(): number | undefined {
    return this.pid;
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /**
   * Ends the term: the running transaction commits (or the wait for it is given up after `graceMs`, e.g. in a broker
   * outage: the next leader fences it and publishes its rows), then the lock is released with the connection.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake();
    if (!this.loop) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.abandon?.();
  }

  private abandon?: () => void;

  private wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.dirty || this.stopping) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    }).then(() => {
      this.dirty = false;
    });
  }

  private async run(): Promise<void> {
    const retryMs = this.o.leaderRetryMs ?? 1_000;
    let client: Client | undefined;
    while (!this.stopping) {
      try {
        client ??= await this.openClient();
        if (await tryLeadShard(client, OUTBOX_LOCK_CLASS, this.o.shard)) {
          const leader = client;
          client = undefined; // the term ends with its connection: closing it releases the lock
          await this.lead(leader);
        }
      } catch (err) {
        this.log?.warn({ err }, 'outbox relay: term ended or could not try for the lead; trying again');
        void client?.end().catch(() => undefined);
        client = undefined;
      }
      if (!this.stopping) await this.sleep(retryMs);
    }
    await client?.end().catch(() => undefined);
  }

  private async openClient(): Promise<Client> {
    // Keepalive: a leader cut off without a FIN must lose its lock on the server side too, not hold it for hours.
    const client = new Client({ ...(typeof this.o.database === 'string' ? { connectionString: this.o.database } : this.o.database), keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    // A dead connection emits 'error'; the term watches it (lead), followers find out at their next query.
    client.on('error', () => undefined);
    await client.connect();
    // TCP keepalive cannot tell a frozen process from a live one (its kernel still answers): the server's idle timer can.
    await client.query(`set idle_session_timeout = ${Math.round(this.o.idleSessionTimeoutMs ?? 60_000)}`);
    this.pid = (client as unknown as { processID?: number }).processID;
    return client;
  }

  private async lead(client: Client): Promise<void> {
    let onLost!: (err: Error) => void;
    const lost = new Promise<never>((_, reject) => (onLost = reject));
    lost.catch(() => undefined);
    client.once('error', (err: Error) => onLost(new LeadershipLost(`outbox shard ${this.o.shard}: leader connection failed: ${err.message}`)));
    client.once('end', () => onLost(new LeadershipLost(`outbox shard ${this.o.shard}: leader connection closed`)));
    this.abandon = () => onLost(new LeadershipLost(`outbox shard ${this.o.shard}: stopped while a transaction was pending`));
    // Every wait of the term also ends when the lock is gone: a pending Kafka send may never return (broker outage),
    // and the next leader fences whatever it still does.
    const held = <T>(p: Promise<T>): Promise<T> => Promise.race([p, lost]);

    const producer = this.o.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // the same partitions as every other producer of these keys
      transactionTimeout: 30_000,
      // Bounded, unlike the plain idempotent producer's (src/kafka/producer.ts): a send given up on ends the term, and
      // the next term's producer has a new epoch (no sequence number is reused) and finds out what committed. A send
      // retried without limit would hold the shard for as long as a row's topic is gone. (kafkajs warns at creation.)
      // First retry after 20 ms (kafkajs: 300): the coordinator refuses the next transaction's AddPartitionsToTxn with
      // CONCURRENT_TRANSACTIONS until it has written the previous one's commit markers — routine when transactions
      // follow each other, and over within milliseconds (the Java client retries it after 20 ms too). Twelve tries
      // capped at 2 s span ~12 s. Safe because every request is for one partition (requestsByPartition).
      retry: { retries: 12, initialRetryTime: 20, maxRetryTime: 2_000 },
    });
    this.router.forget();
    this.term = randomBytes(4).toString('hex');
    const onNotification = (n: Notification) => {
      if (n.channel === outboxChannel(this.o.shard)) this.wake();
    };
    let ended = false;
    let inFlight: Promise<void> = Promise.resolve();
    try {
      await held(producer.connect());
      // InitProducerId with our transactional id (kafkajs sends it for the first transaction): bumps the epoch, so
      // the previous leader's open transaction is aborted (or its commit completed) before we read what it did.
      const fence = await held(producer.transaction());
      await held(fence.abort());
      let next = (await held(this.takeOver(client, producer))) + 1;
      this.leadingNow = true;
      this.log?.info({ transactionalId: this.transactionalId }, 'outbox relay leads its shard');
      await held(client.query(`listen ${outboxChannel(this.o.shard)}`));
      client.on('notification', onNotification);
      let pruned = 0;
      while (!this.stopping) {
        const rows = await held(claimBatch(client, this.o.shard, next, { maxRows: this.o.maxRows ?? 200, maxBytes: this.o.maxBytes ?? 512 * 1024 }));
        if (rows.length === 0) {
          if (Date.now() - pruned > PRUNE_EVERY_MS) {
            pruned = Date.now();
            await held(pruneSent(client, this.o.shard, this.o.retainSentMs ?? 7 * 24 * 3600_000));
          }
          await held(this.sleep(this.o.pollMs ?? 2_000));
          continue;
        }
        inFlight = this.publish(producer, rows, next++);
        await held(inFlight);
        await held(markSent(client, rows.map((r) => r.id)));
      }
    } catch (err) {
      ended = err instanceof LeadershipLost;
      throw err;
    } finally {
      this.leadingNow = false;
      this.abandon = undefined;
      client.off('notification', onNotification);
      // After a lost lock the transaction may still be pending (a broker outage): it is not waited for, and the
      // producer closes once it ends — committed before the next leader fenced it, or refused after.
      const close = () => producer.disconnect().catch(() => undefined);
      if (ended) void inFlight.catch(() => undefined).then(close);
      else await close();
      await client.end().catch(() => undefined);
    }
  }

  /**
   * One Kafka transaction: the rows' records and the batch number's progress record, one produce request per
   * partition, one after the other (shard.ts requestsByPartition says why).
   */
  private async publish(producer: Producer, rows: OutboxRow[], batch: number): Promise<void> {
    const batches = [...transactionMessages(rows, `${this.transactionalId}:${batch}:${this.term}`), progressMessages(this.transactionalId, this.o.shard, batch)];
    const requests = requestsByPartition(withPartitions(batches, await this.router.routeFor(batches.map((b) => b.topic))));
    const txn = await producer.transaction();
    try {
      // A partition missing from the acknowledgement is not sent again inside the transaction: the term ends.
      for (const topicMessages of requests) await sendEveryPartition(txn, topicMessages, { attempts: 1 });
      await this.o.beforeCommit?.(rows);
      await txn.commit();
    } catch (err) {
      // Any failure ends the term; the next one (here or in another worker) reconciles by the committed batch.
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  /**
   * After fencing: rows an earlier term attempted are marked sent when their batch committed and are left to be
   * published again otherwise. Returns the last batch number used, which the next transaction goes past.
   */
  private async takeOver(client: Client, producer: Producer): Promise<number> {
    const topic = progressTopicOf(this.transactionalId);
    await ensureProgressTopic(this.o.kafka, topic);
    const committed = await lastCommittedBatch(this.o.kafka, producer, topic, this.o.shard);
    const { rows, maxBatch } = await attemptedUnsent(client, this.o.shard);
    const { sent, resend } = reconcileAttempted(rows, committed);
    await markSent(client, sent);
    if (rows.length > 0) this.log?.info({ committedBatch: committed, foundCommitted: sent.length, toPublishAgain: resend.length }, 'outbox relay took over attempted rows');
    return Math.max(committed, maxBatch);
  }
}

/** Starts a relay for every shard; each takes the lead of its shard or follows. */
export function startOutboxRelays(options: Omit<OutboxRelayOptions, 'shard'> & { shards: number }): { relays: OutboxRelay[]; stop(graceMs?: number): Promise<void> } {
  const { shards, ...rest } = options;
  const relays = Array.from({ length: shards }, (_, shard) => new OutboxRelay({ ...rest, shard }).start());
  return { relays, stop: async (graceMs) => void (await Promise.all(relays.map((r) => r.stop(graceMs)))) };
}
