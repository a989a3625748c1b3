import { and, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { featureLog, paymentEvent, userRiskProfile } from '../src/db/schema';
import {
  buildFeatureVector,
  FEATURE_SPEC_VERSION,
  isLateEvent,
  VELOCITY_WINDOW_MS,
  type FeatureName,
  type FeatureVector,
} from '../src/features/payment-features';
import { pseudonymize } from '../src/security/pseudonymize';
import { failPermanentFast, type ResolvedDeps } from './shared';

export interface EnrichPaymentInput {
  paymentId: string;
  userId: string;
  amount: number;
  currency: string;
  country: string;
  merchantCategory: string;
  deviceId: string;
  /** Producer's hint; without it the device is compared with the profile's known devices. */
  newDevice?: boolean;
  /** When the payment happened (payload eventTime, else envelope time), ISO-8601. Velocity is counted on it. */
  eventTime: string;
  /**
   * When the saga started processing it, ISO-8601: the workflow's start time, not the activity's clock, so a retried
   * enrichment computes the same late-event flag.
   */
  processedAt: string;
}

export interface EnrichmentResult {
  featureSpecVersion: string;
  /** Feature values by name: the row of the feature log. */
  features: Record<FeatureName, number>;
  /** The same values in spec order (float32-rounded): exactly what the model receives. */
  vector: number[];
  /** Features that fell back to their default because the datum was missing (no profile, no device hint, ...). */
  defaulted: string[];
  velocity60s: number;
  lateEvent: boolean;
  /** Keyed hash of the user id, for the UserId search attribute. */
  userIdHash: string;
  /** `feature-log`: this payment was enriched before (a retry or a second saga) and the logged vector is reused. */
  source: 'computed' | 'feature-log';
}

/** The profile fields enrichment reads. */
export type EnrichmentProfile = Pick<typeof userRiskProfile.$inferSelect, 'riskScore' | 'homeCountry' | 'accountCreatedAt' | 'knownDevices'>;

/**
 * Payment + profile + velocity → feature vector: the serving mapping, shared with replay (activities/replay.activities.ts)
 * so that a backfill computes exactly what serving computed from the same data.
 */
export function enrichmentFeatures(input: EnrichPaymentInput, profile: EnrichmentProfile | undefined, velocity60s: number, lateEvent: boolean): FeatureVector {
  const eventMs = Date.parse(input.eventTime);
  const newDevice = input.newDevice ?? (profile ? !profile.knownDevices.includes(input.deviceId) : undefined);
  const accountAgeDays = profile?.accountCreatedAt ? (eventMs - profile.accountCreatedAt.getTime()) / 86_400_000 : undefined;
  return buildFeatureVector({
    amount: input.amount,
    currency: input.currency,
    eventTime: input.eventTime,
    userRiskScore: profile?.riskScore,
    accountAgeDays,
    userHomeCountry: profile?.homeCountry ?? undefined,
    paymentCountry: input.country,
    merchantCategory: input.merchantCategory,
    newDevice,
    velocity60s,
    lateEvent,
  });
}

/**
 * The enrichment's statements, built once per worker and prepared by name on each connection: a payment pays for
 * parameters, not for building SQL again (drizzle's query building was the largest JS cost of a saga in the bench's
 * CPU profile), and PostgreSQL parses each statement once per connection.
 */
function enrichmentStatements(db: ResolvedDeps['db']) {
  const p = sql.placeholder;
  return {
    recordEvent: db
      .insert(paymentEvent)
      .values({ paymentId: p('paymentId'), userId: p('userId'), amount: p('amount'), currency: p('currency'), eventTime: p('eventTime') })
      .onConflictDoNothing()
      .prepare('enrich_record_payment_event'),
    profileOf: db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, p('userId'))).prepare('enrich_risk_profile'),
    // [t - 60 s, t) by event time: a late event counts where it happened, and counts for later ones too.
    velocity: db
      .select({ n: sql<number>`count(*)::int` })
      .from(paymentEvent)
      .where(and(eq(paymentEvent.userId, p('userId')), gte(paymentEvent.eventTime, p('from')), lt(paymentEvent.eventTime, p('eventTime')), ne(paymentEvent.paymentId, p('paymentId'))))
      .prepare('enrich_velocity_60s'),
    logFeatures: db
      .insert(featureLog)
      .values({ paymentId: p('paymentId'), featureSpecVersion: p('featureSpecVersion'), features: p('features'), vector: p('vector'), eventTime: p('eventTime') })
      .onConflictDoNothing()
      .returning({ paymentId: featureLog.paymentId })
      .prepare('enrich_log_features'),
  };
}

export function createEnrichmentActivities(deps: ResolvedDeps) {
  const { db } = deps;
  const statements = enrichmentStatements(db);
  return {
    /**
     * Risk profile (online store) + 60 s event-time velocity → feature vector, written to the feature log (offline
     * store) before it is returned. The log is first-write-wins and a repeated enrichment returns the logged vector,
     * so the vector scored is always the vector training will read.
     */
    async enrichPayment(input: EnrichPaymentInput): Promise<EnrichmentResult> {
      return failPermanentFast(async () => {
        const eventMs = Date.parse(input.eventTime);
        const eventTime = new Date(eventMs);
        const userIdHash = pseudonymize(input.userId, deps.piiHashKey);

        // The three reads/writes are independent: the velocity query excludes this payment by id, so it does not
        // matter whether the insert lands first.
        const [, profiles, counts] = await Promise.all([
          statements.recordEvent.execute({ paymentId: input.paymentId, userId: input.userId, amount: input.amount.toFixed(2), currency: input.currency, eventTime }),
          statements.profileOf.execute({ userId: input.userId }),
          statements.velocity.execute({ userId: input.userId, from: new Date(eventMs - VELOCITY_WINDOW_MS), eventTime, paymentId: input.paymentId }),
        ]);
        const profile = profiles[0];
        const velocity60s = counts[0]?.n ?? 0;
        const lateEvent = isLateEvent(eventMs, Date.parse(input.processedAt));
        const vector = enrichmentFeatures(input, profile, velocity60s, lateEvent);
        const values = Array.from(vector.values);
        const inserted = await statements.logFeatures.execute({ paymentId: input.paymentId, featureSpecVersion: vector.specVersion, features: { ...vector.named }, vector: values, eventTime });
        if (inserted.length > 0) {
          return {
            featureSpecVersion: vector.specVersion,
            features: { ...vector.named },
            vector: values,
            defaulted: [...vector.defaulted],
            velocity60s,
            lateEvent,
            userIdHash,
            source: 'computed',
          };
        }
        const [logged] = await db.select().from(featureLog).where(eq(featureLog.paymentId, input.paymentId));
        if (logged.featureSpecVersion !== FEATURE_SPEC_VERSION) {
          throw Object.assign(new Error(`payment ${input.paymentId} was logged with feature spec ${logged.featureSpecVersion}, this build serves ${FEATURE_SPEC_VERSION}`), {
            code: 'FEATURE_SPEC_MISMATCH',
          });
        }
        const features = logged.features as Record<FeatureName, number>;
        return {
          featureSpecVersion: logged.featureSpecVersion,
          features,
          vector: logged.vector,
          defaulted: [],
          velocity60s: features.velocity_60s,
          lateEvent: features.late_event === 1,
          userIdHash,
          source: 'feature-log',
        };
      });
    },
  };
}
