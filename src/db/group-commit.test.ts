import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { openDatabase } from './open-database.ts';

/** Transactions asking for groupCommit keep every guarantee of a transaction of their own. */
describeEachDatabase('group commit', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => {
    await t.drop();
  });

  const addUser = (id: number, fail = false) =>
    t.db.transaction(
      async (tx) => {
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [id, id]);
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [id + 1000, id]);
        if (fail) throw new Error(`member ${id} fails`);
        return id;
      },
      { groupCommit: true },
    );

  it('rolls back only the member that throws; the others are committed and visible to another connection', async () => {
    const outcomes = await Promise.allSettled([addUser(1), addUser(2, true), addUser(3), addUser(4, true)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('member 2 fails');
    expect((outcomes[3] as PromiseRejectedResult).reason.message).toBe('member 4 fails');
    const other = await openDatabase(t.location);
    try {
      const rows = await other.all<{ id: number }>('SELECT id FROM users ORDER BY id');
      expect(rows.map((r) => Number(r.id))).toEqual([1, 3, 1001, 1003]);
    } finally {
      await other.close();
    }
  });

  // On PostgreSQL concurrent transactions run side by side on pooled connections, so neither
  // their order nor close() during them is defined; these two are SQLite's group-commit promises.
  it.skipIf(kind.name !== 'sqlite')(
    'runs members in call order, each seeing the ones before it',
    async () => {
      const seen = await Promise.all(
        [1, 2, 3].map((id) =>
          t.db.transaction(
            async (tx) => {
              await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [id, id]);
              const n = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM users');
              return Number(n?.n);
            },
            { groupCommit: true },
          ),
        ),
      );
      expect(seen).toEqual([1, 2, 3]);
    },
  );

  it('a statement error in one member (duplicate key) leaves the others intact', async () => {
    await t.db.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1001, 0]);
    const outcomes = await Promise.allSettled([addUser(1), addUser(5)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    const rows = await t.db.all<{ id: number }>('SELECT id FROM users ORDER BY id');
    expect(rows.map((r) => Number(r.id))).toEqual([5, 1001, 1005]);
  });

  it.skipIf(kind.name !== 'sqlite')(
    'close() waits for grouped transactions started just before it',
    async () => {
      const mine = await openDatabase(t.location);
      const pending = Promise.all(
        [7, 8].map((id) =>
          mine.transaction((tx) => tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [id, id]), {
            groupCommit: true,
          }),
        ),
      );
      await mine.close();
      await pending;
      const rows = await t.db.all<{ id: number }>('SELECT id FROM users ORDER BY id');
      expect(rows.map((r) => Number(r.id))).toEqual([7, 8]);
    },
  );
});
