// What the integration tests that run payment sagas on the real stack share: their own topics, the product's route
// pointed at them, a customer profile, and cleanup of every table a saga writes and everything the rig opened.
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { eq, inArray } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { createEvent, paymentInitiatedV1, type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import type { Db } from '../../src/db/client';
import {
  approval,
  compensationLedger,
  decision,
  driftReport,
  featureLog,
  label,
  learningCycle,
  learningTrigger,
  modelAlias,
  modelAliasHistory,
  modelVersion,
  notification,
  paymentEvent,
  paymentHold,
  riskAdjustment,
  userRiskProfile,
} from '../../src/db/schema';
import { productRoutes } from '../../workers/product-routes';
import type { StartRoute } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { exportOnnx } from '../../src/model/onnx-export';
import type { ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { trainLogisticRegression } from '../../src/model/train';
import { DEFAULT_OUTBOX_SHARDS, startOutboxRelays } from '../../src/kafka/outbox';
import { Client as PgClient } from 'pg';
import { deleteTopics } from './kafka';
import { uniqueName } from './stack-env';

export const INTEGRATION_PII_KEY = 'integration-pii-key-0123456789';
export const DAY = 86_400_000;

/** A small fraud model trained on synthetic data: a real ONNX champion or shadow for the saga to score with. */
export function trainedFraudModel(seed: number, version: string) {
  const set = generateTrainingSet({ rows: 6_000, seed });
  return exportOnnx(trainLogisticRegression(set.X, set.y), { modelName: 'fraud', modelVersion: version });
}

/** The saga's topics under names of this test's own, and all of them with the DLQ of `initiated` (to create/delete). */
export function sagaTestTopics(prefix: string) {
  const topics = {
    initiated: uniqueName(`${prefix}-initiated`),
    scored: uniqueName(`${prefix}-scored`),
    flagged: uniqueName(`${prefix}-flagged`),
    flagRetracted: uniqueName(`${prefix}-retracted`),
    labeled: uniqueName(`${prefix}-labeled`),
  };
  return { topics, all: [...Object.values(topics), dlqTopic(topics.initiated)] };
}

/** The product's payments route (workers/product-routes.ts), on a test's topic and task queue. */
export function testPaymentRoute(topic: string, taskQueue: string): StartRoute {
  return { ...(productRoutes({ piiHashKey: INTEGRATION_PII_KEY })[0] as StartRoute), topic, taskQueue };
}

/** A customer of long standing, at home, on a known device, with a low risk score. */
export function lowRiskProfile(userId: string, overrides: Partial<typeof userRiskProfile.$inferInsert> = {}): typeof userRiskProfile.$inferInsert {
  return { userId, riskScore: 0.05, homeCountry: 'DE', accountCreatedAt: new Date(Date.now() - 900 * DAY), knownDevices: ['dev-home'], ...overrides };
}

/**
 * A customer the champion flags at `eventTime`: a young account with a high risk score, and four payments in the
 * minute before (velocity). The payment itself adds the rest (new device, abroad, large amount).
 */
export async function seedRiskyUser(db: Db, userId: string, eventTime: string): Promise<void> {
  const t = Date.parse(eventTime);
  await db.insert(userRiskProfile).values({ userId, riskScore: 0.8, homeCountry: 'DE', accountCreatedAt: new Date(t - 3 * DAY), knownDevices: ['dev-home'] });
  await db.insert(paymentEvent).values([1, 2, 3, 4].map((i) => ({ paymentId: `${userId}-earlier-${i}`, userId, amount: '15.00', currency: 'EUR', eventTime: new Date(t - i * 10_000) })));
}

/** What a flagged payment looks like next to a risky user's history: large, abroad, crypto, on a new device. */
export const riskyPaymentData = (userId: string): Partial<PaymentInitiatedV1> & { userId: string } => ({ userId, amount: 4_800, country: 'NG', merchantCategory: 'crypto', deviceId: 'dev-new' });

/** Customers and payment events of one test file, remembered so deleteSagaRows removes exactly them. */
export class SagaFixtures {
  readonly created = { payments: new Set<string>(), users: new Set<string>(), workflows: new Set<string>() };

  constructor(private readonly prefix: string) {}

  /** A payments.initiated event (small grocery payment at home unless `data` says otherwise); its saga's id is remembered. */
  readonly payment = (data: Partial<PaymentInitiatedV1> & { userId: string }, eventTime: string): EventEnvelope<PaymentInitiatedV1> => {
    const e = createEvent(paymentInitiatedV1, {
      source: `urn:${this.prefix}`,
      data: { paymentId: `pay-${randomUUID()}`, merchantId: 'merch-1', amount: 20, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-home', eventTime, ...data },
    });
    this.created.payments.add(e.data.paymentId);
    this.created.workflows.add(`payment-${e.id}`);
    return e;
  };

  async riskyUser(db: Db, eventTime: string): Promise<string> {
    const userId = uniqueName(`${this.prefix}-risky`);
    this.created.users.add(userId);
    await seedRiskyUser(db, userId, eventTime);
    return userId;
  }

  async benignUser(db: Db): Promise<string> {
    const userId = uniqueName(`${this.prefix}-benign`);
    this.created.users.add(userId);
    await db.insert(userRiskProfile).values(lowRiskProfile(userId));
    return userId;
  }
}

/** Deletes what sagas wrote for these payments, users and workflows, in every table a saga touches. */
export async function deleteSagaRows(db: Db, rows: { payments?: Iterable<string>; users?: Iterable<string>; workflows?: Iterable<string> }): Promise<void> {
  const payments = [...(rows.payments ?? []), '-'];
  const users = [...(rows.users ?? []), '-'];
  const workflows = [...(rows.workflows ?? []), '-'];
  await db.delete(decision).where(inArray(decision.paymentId, payments));
  await db.delete(label).where(inArray(label.paymentId, payments));
  await db.delete(featureLog).where(inArray(featureLog.paymentId, payments));
  await db.delete(paymentHold).where(inArray(paymentHold.paymentId, payments));
  await db.delete(notification).where(inArray(notification.paymentId, payments));
  await db.delete(paymentEvent).where(inArray(paymentEvent.userId, users));
  await db.delete(riskAdjustment).where(inArray(riskAdjustment.userId, users));
  await db.delete(userRiskProfile).where(inArray(userRiskProfile.userId, users));
  await db.delete(compensationLedger).where(inArray(compensationLedger.workflowId, workflows));
}

/** Deletes a test model's registry and learning-loop rows: versions, aliases and their history, triggers, cycles,
 * approvals, drift reports, and the decisions made with it. */
export async function deleteModelRows(db: Db, modelName: string): Promise<void> {
  await db.delete(decision).where(eq(decision.modelName, modelName));
  await db.delete(learningTrigger).where(eq(learningTrigger.modelName, modelName));
  await db.delete(learningCycle).where(eq(learningCycle.modelName, modelName));
  await db.delete(approval).where(eq(approval.modelName, modelName));
  await db.delete(modelAlias).where(eq(modelAlias.modelName, modelName));
  await db.delete(modelAliasHistory).where(eq(modelAliasHistory.modelName, modelName));
  await db.delete(driftReport).where(eq(driftReport.modelName, modelName));
  await db.delete(modelVersion).where(eq(modelVersion.modelName, modelName));
}

/** Closes what a rig opened (whatever was opened before a failure), then removes its topics. */
/** The workers' outbox relays for a test's activities: its saga effects reach Kafka through them. */
export interface TestOutbox {
  /** Stops the relays and deletes the outbox rows of these topics. */
  close(topics: ReadonlyArray<string>): Promise<void>;
}

export function startTestOutbox(kafka: Kafka, databaseUrl: string): TestOutbox {
  // Quick to take the lead: another file's relays (same stack) may hold it and stop any time.
  const relays = startOutboxRelays({ shards: DEFAULT_OUTBOX_SHARDS, kafka, database: databaseUrl, leaderRetryMs: 250, pollMs: 500 });
  return {
    close: async (topics) => {
      await relays.stop();
      const client = new PgClient({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query('delete from outbox where topic = any($1::text[])', [[...topics]]);
      } finally {
        await client.end();
      }
    },
  };
}

export async function closeRig(parts: { outbox?: TestOutbox; producer?: Producer; models?: ModelRuntime; nativeConnections?: ReadonlyArray<NativeConnection | undefined>; connection?: Connection; kafka?: Kafka; topics?: string[] }): Promise<void> {
  await parts.outbox?.close(parts.topics ?? []);
  await parts.producer?.disconnect();
  await parts.models?.close();
  for (const nc of parts.nativeConnections ?? []) await nc?.close();
  await parts.connection?.close();
  if (parts.kafka && parts.topics) await deleteTopics(parts.kafka, parts.topics).catch(() => undefined);
}
