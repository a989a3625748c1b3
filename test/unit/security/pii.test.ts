// No raw user id where things are indexed or shipped elsewhere: Temporal search attributes, the workflow summary,
// log lines and metric labels carry the keyed hash (or nothing). Runtime checks where a unit can run the code, a
// source audit of every log call and metric label set otherwise, so a new leak fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createEvent, parseEvent, paymentInitiatedV1 } from '../../../schemas';
import { productRoutes } from '../../../workers/product-routes';
import type { StartRoute } from '../../../src/kafka/routes';
import { pseudonymize } from '../../../src/security/pseudonymize';

const ROOT = join(__dirname, '..', '..', '..');
const KEY = 'unit-pii-key-0123456789';
const USER = 'alice.smith@example.com';

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** The argument text of every call `<callee>(…)` in a file, balanced over nested brackets. */
function callArguments(text: string, callee: RegExp): Array<{ line: number; args: string }> {
  const out: Array<{ line: number; args: string }> = [];
  for (const m of text.matchAll(callee)) {
    let depth = 0;
    let i = (m.index ?? 0) + m[0].length - 1;
    const start = i;
    for (; i < text.length; i++) {
      if ('([{'.includes(text[i])) depth++;
      else if (')]}'.includes(text[i])) depth--;
      if (depth === 0) break;
    }
    out.push({ line: text.slice(0, start).split('\n').length, args: text.slice(start, i + 1) });
  }
  return out;
}

describe('pseudonymization of user ids', () => {
  const event = createEvent(paymentInitiatedV1, { source: 'urn:unit', data: { ...paymentInitiatedV1.example, userId: USER } });
  const parsed = parseEvent(JSON.stringify(event));
  if (!parsed.ok) throw new Error('example event is invalid');
  const route = productRoutes({ piiHashKey: KEY })[0] as StartRoute;

  it('the saga is started with the keyed hash as UserId and no raw user id in any search attribute, summary or id', () => {
    const pairs = route.searchAttributes!(parsed);
    const byName = Object.fromEntries(pairs.map((p) => [p.key.name, p.value]));
    expect(byName.UserId).toBe(pseudonymize(USER, KEY));
    expect(byName.UserId).toMatch(/^u_[A-Za-z0-9_-]{22}$/);
    const shipped = JSON.stringify({ pairs: pairs.map((p) => p.value), summary: route.summary?.(parsed), workflowId: route.workflowId(parsed) });
    expect(shipped).not.toContain(USER);
    expect(shipped).not.toContain('alice');
  });

  it('is keyed: another key gives another hash, so a dictionary of ids cannot be matched without the key', () => {
    const other = productRoutes({ piiHashKey: 'another-key-0123456789' })[0] as StartRoute;
    const a = route.searchAttributes!(parsed).find((p) => p.key.name === 'UserId')!.value;
    const b = other.searchAttributes!(parsed).find((p) => p.key.name === 'UserId')!.value;
    expect(a).not.toBe(b);
    expect(pseudonymize(USER, KEY)).toBe(a); // stable: the same user is findable under one key
  });

  it('the saga upserts the hash the enrichment activity computed with the configured key, never the raw id', () => {
    const saga = readFileSync(join(ROOT, 'workflows/payment-saga/payment-saga.workflow.ts'), 'utf8');
    const upserts = callArguments(saga, /upsertSearchAttributes\(/g);
    expect(upserts.length).toBeGreaterThan(0);
    for (const u of upserts) {
      expect(u.args).not.toMatch(/\.userId\b/);
      if (u.args.includes('SA.UserId')) expect(u.args).toMatch(/SA\.UserId, value: enriched\.userIdHash/);
    }
    const enrichment = readFileSync(join(ROOT, 'activities/enrichment.activities.ts'), 'utf8');
    expect(enrichment).toMatch(/const userIdHash = pseudonymize\(input\.userId, deps\.piiHashKey\)/);
  });

  it('no log call binds a user id, the Kafka key, the subject or a whole event/payload', () => {
    const files = ['workflows', 'activities', 'src/kafka', 'src/model', 'src/temporal', 'src/security', 'workers', 'cli/demo', 'cli/chaos'].flatMap((d) => {
      try {
        return sourceFiles(d);
      } catch {
        return [];
      }
    });
    const leaks: string[] = [];
    let calls = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const call of callArguments(text, /\b(?:log|logger|this\.logger|this\.deps\.logger|deps\.logger|ctx\.log)\.(?:trace|debug|info|warn|error|fatal)\(/g)) {
        calls++;
        // userId / subject / message key / whole envelope or input object as a binding value.
        if (/\buserId\b|\.subject\b|message\.key\b|\bkey:\s*message|:\s*(?:event|envelope|input|payment|data)\s*[,}]|\.\.\.(?:event|envelope|input|payment|data)\s*[,}]/.test(call.args)) {
          leaks.push(`${file}:${call.line} ${call.args.slice(0, 120)}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(20); // the audit found the log calls it is meant to check
    expect(leaks).toEqual([]);
  });

  it('no metric has a label that could carry a user id', () => {
    const files = ['src', 'activities', 'workers', 'cli', 'stack'].flatMap((d) => sourceFiles(d));
    const labelSets: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/labelNames:\s*\[([^\]]*)\]/g)) labelSets.push(`${file}: ${m[1]}`);
    }
    expect(labelSets.length).toBeGreaterThan(5);
    expect(labelSets.filter((s) => /user|subject|key|payment|account|device|merchant/i.test(s.split(': ')[1]))).toEqual([]);
  });
});
