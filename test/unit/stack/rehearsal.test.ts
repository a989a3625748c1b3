import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackError } from '../../../stack/errors';
import { newKafkaClusterId } from '../../../stack/kafka';
import { stackPaths } from '../../../stack/paths';
import { temporalBinaries, TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../../../stack/rehearsal/binaries';
import { MAX_MEMBERSHIP_PORT, TemporalServer } from '../../../stack/rehearsal/temporal-server';

const ports = (membershipPort: number) => ({
  frontend: 40_001,
  frontendHttp: 40_002,
  history: 40_003,
  matching: 40_004,
  worker: 40_005,
  membership: { frontend: 20_001, history: membershipPort, matching: 20_003, worker: 20_004 },
});
const postgres = { host: '127.0.0.1', port: 5432, user: 'u', password: 'p' };

describe('the rehearsal topology', () => {
  it('makes Kafka cluster ids the storage tool takes: 22 base64url characters, never a leading "-"', () => {
    // One id in 64 would start with "-"; 2,000 ids miss that with probability 1e-14.
    const ids = Array.from({ length: 2_000 }, newKafkaClusterId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses a membership port the server could not store (PostgreSQL smallint), naming the role', () => {
    const make = (port: number) => () => new TemporalServer({ binaries: temporalBinaries('/tools'), paths: stackPaths('/nowhere'), ports: ports(port), postgres });
    expect(make(MAX_MEMBERSHIP_PORT)).not.toThrow();
    expect(make(MAX_MEMBERSHIP_PORT + 1)).toThrow(StackError);
    expect(make(46_934)).toThrow(/membership ports must be at most 32767: history 46934/);
  });

  it('keeps each pinned version of the server and the UI in a directory of its own', () => {
    const bins = temporalBinaries('/tools');
    expect(bins.server).toBe(`/tools/temporal-server/${TEMPORAL_SERVER_VERSION}/temporal-server`);
    expect(bins.sqlTool).toBe(`/tools/temporal-server/${TEMPORAL_SERVER_VERSION}/temporal-sql-tool`);
    expect(bins.ui).toBe(`/tools/temporal-ui-server/${TEMPORAL_UI_VERSION}/temporal-ui-server`);
  });

  it('writes a server config with PostgreSQL persistence and SQL visibility on the given ports', () => {
    const home = mkdtempSync(join(tmpdir(), 'rehearsal-config-'));
    try {
      const server = new TemporalServer({ binaries: temporalBinaries('/tools'), paths: stackPaths(home), ports: ports(20_002), postgres, historyShards: 8 });
      const file = (server as unknown as { writeConfig(): string }).writeConfig();
      const config = JSON.parse(readFileSync(file, 'utf8'));
      expect(config.persistence).toMatchObject({ defaultStore: 'default', visibilityStore: 'visibility', numHistoryShards: 8 });
      expect(config.persistence.datastores.default.sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:5432' });
      expect(config.persistence.datastores.visibility.sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility' });
      expect(config.services.history.rpc).toEqual({ grpcPort: 40_003, membershipPort: 20_002, bindOnLocalHost: true });
      expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:40001');
      expect(readFileSync(config.dynamicConfigClient.filepath, 'utf8')).toContain('system.forceSearchAttributesCacheRefreshOnRead');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
