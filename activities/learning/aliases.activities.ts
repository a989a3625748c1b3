// Alias activities: the champion read from the registry, the shadow alias set or cleared, promotion (champion :=
// version, previous := old champion, approver in the alias history) and the watch's automatic rollback. Each is a
// no-op when the registry is already in the requested state, so a retry changes nothing.
import { promote, rollback, setAlias } from '../../src/model/registry';
import type { ChampionInfo } from '../../schemas/learning';
import type { AliasMove, PromoteInput, PromoteResult, RollbackInput, SetShadowInput } from '../../schemas/learning-activities';
import { createChampionReader, invalid, permanentFast, type LearningActivityDeps } from './shared';

export function createAliasActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  const loopActor = deps.actor ?? 'learning-loop';
  const { currentChampion } = createChampionReader(db);
  return {
    async getChampion(input: { modelName: string }): Promise<ChampionInfo | null> {
      return currentChampion(input.modelName);
    },

    async setShadowAlias(input: SetShadowInput): Promise<AliasMove> {
      return permanentFast(async () => {
        const r = await setAlias(db, { modelName: input.modelName, alias: 'shadow', version: input.version, actor: input.actor, reason: input.reason });
        return { changed: r.changed, ...r.aliases };
      });
    },

    /** champion := version (previous := old champion), with the approver and reason in the alias history. */
    async promoteVersion(input: PromoteInput): Promise<PromoteResult> {
      return permanentFast(async () => {
        if (input.approver.trim() === '') throw invalid('a promotion needs an approver');
        const r = await promote(db, input.modelName, input.version, input.approver, input.reason);
        const championChange = r.changes.find((c) => c.alias === 'champion');
        // A retry after the flip committed changes nothing; the previous champion is then the `previous` alias.
        const previousChampion = r.changed ? (championChange?.from ?? null) : r.aliases.previous;
        logger?.info({ modelName: input.modelName, version: input.version, previousChampion, approver: input.approver, changed: r.changed }, 'promoted');
        return { changed: r.changed, previousChampion, ...r.aliases };
      });
    },

    /** Swaps champion and previous back, only if the champion is still the version judged bad. */
    async rollbackVersion(input: RollbackInput): Promise<AliasMove> {
      return permanentFast(async () => {
        const r = await rollback(db, input.modelName, loopActor, input.reason, { expectedChampion: input.expectedChampion });
        logger?.warn({ modelName: input.modelName, from: input.expectedChampion, to: r.aliases.champion, changed: r.changed }, 'rolled back');
        return { changed: r.changed, ...r.aliases };
      });
    },

  };
}
