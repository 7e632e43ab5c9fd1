import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../../test/helpers/databases.ts';
import { RateLimiter } from './rate-limiter.ts';

describeEachDatabase('RateLimiter', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => t.drop());

  it('two limiters flushing the same keys at once, met in opposite orders, never wait for each other', async () => {
    const rule = { limit: 1_000_000, windowMs: 60_000 };
    const keys = Array.from({ length: 20 }, (_, i) => `address:10.0.0.${i}`);
    // Flush on every take, so each take writes every key it has pending in one transaction.
    const a = new RateLimiter(t.db, 0, 1);
    const b = new RateLimiter(t.db, 0, 1);
    const now = 120_000;
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        Promise.all(keys.map((k) => a.take(k, rule, now, 'test'))),
        Promise.all([...keys].reverse().map((k) => b.take(k, rule, now, 'test'))),
      ]);
    }
    // Every take resolved (a deadlock rejects one); hits taken during a flush wait for the next.
    const total = Number((await t.db.get<{ n: number }>('SELECT SUM(hits) AS n FROM rate_limit_hits'))?.n);
    expect(total).toBeGreaterThan(keys.length);
    expect(total).toBeLessThanOrEqual(2 * 10 * keys.length);
  });
});
