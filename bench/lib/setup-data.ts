// Set-up the bench's stacks share: the synthetic users' risk profiles and the run's topics with leaders.
import type { Kafka } from 'kafkajs';
import type { DbHandle } from '../../src/db/client';
import { userRiskProfile } from '../../src/db/schema';
import { ensureTopics } from '../../src/kafka/client';
import { generatePopulation } from '../../src/model/synthetic';
import { POPULATION_SEED } from './config';

/** Seeds the synthetic population's risk profiles; returns the user ids it inserted. */
export async function seedProfiles(handle: DbHandle, users: number): Promise<string[]> {
  const { users: population } = generatePopulation({ seed: POPULATION_SEED, users });
  const now = Date.now();
  const inserted: string[] = [];
  for (let i = 0; i < population.length; i += 500) {
    const rows = population.slice(i, i + 500).map((u) => ({
      userId: u.userId,
      riskScore: u.riskScore,
      homeCountry: u.homeCountry,
      accountCreatedAt: new Date(now - u.accountAgeDays * 86_400_000),
      knownDevices: [u.primaryDeviceId],
    }));
    const done = await handle.db.insert(userRiskProfile).values(rows).onConflictDoNothing().returning({ userId: userRiskProfile.userId });
    inserted.push(...done.map((d) => d.userId));
  }
  return inserted;
}

/** Creates the run's topics and waits until every partition has a leader (a fresh broker needs a moment). */
export async function createTopicsReady(kafka: Kafka, topics: string[], partitions: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureTopics(kafka, topics, partitions);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics });
        if (meta.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0))) return;
      } finally {
        await admin.disconnect();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after 30 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

