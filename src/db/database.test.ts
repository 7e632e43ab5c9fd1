import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import {
  type Database,
  parallelScanRows,
  placeholdersToPostgres,
  type Queryable,
  type ScanNumbersOptions,
} from './database.ts';
import { currentSchemaVersion, latestSchemaVersion, migrate } from './migrate.ts';
import { openDatabase } from './open-database.ts';

it('rewrites placeholders outside quotes only', () => {
  expect(placeholdersToPostgres('SELECT ? , \'?\' , "a?" , ?')).toBe('SELECT $1 , \'?\' , "a?" , $2');
});

describeEachDatabase('database contract', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => {
    await t.drop();
  });

  it('is migrated to the latest schema version', async () => {
    expect(await currentSchemaVersion(t.db)).toBe(latestSchemaVersion);
    const again = await migrate(t.db);
    expect(again.every((r) => !r.applied)).toBe(true);
  });

  it('runs queries with placeholders, RETURNING and upserts', async () => {
    await t.db.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1000]);
    await t.db.run('INSERT INTO movies (id, title, year, genres) VALUES (?, ?, ?, ?)', [
      10,
      'A, b',
      1999,
      'Drama',
    ]);
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at',
      [1, 10, 3.5, 5],
    );
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at',
      [1, 10, 4.5, 6],
    );
    const rows = await t.db.all<{ rating: number; rated_at: number }>('SELECT rating, rated_at FROM ratings');
    expect(rows).toEqual([{ rating: 4.5, rated_at: 6 }]);
    const served = await t.db.get<{ id: number }>(
      'INSERT INTO served_recommendations (user_id, movie_id, predicted_rating, rank, served_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [1, 10, 4.1, 1, Date.now()],
    );
    expect(typeof served?.id).toBe('number');
  });

  it('inserts many rows and counts them', async () => {
    const users = Array.from({ length: 25_000 }, (_, i) => [i + 1, i] as const);
    expect(await t.db.insertMany('users', ['id', 'created_at'], users)).toBe(25_000);
    const n = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    expect(Number(n?.n)).toBe(25_000);
  });

  it('rolls a failed transaction back whole', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1]);
        await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?)', [1, 1]);
      }),
    ).rejects.toThrow();
    const n = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    expect(Number(n?.n)).toBe(0);
  });

  it('enforces foreign keys', async () => {
    await expect(
      t.db.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)', [9, 9, 3, 0]),
    ).rejects.toThrow();
  });

  it('stores and returns binary data unchanged', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 128]);
    await t.db.run(
      "INSERT INTO model_versions (version, model_kind, params, train_rows, data_fingerprint, artifact, status, reason, created_at) VALUES (1, 'svd', '{}', 0, 'x', ?, 'ready', 'manual', 0)",
      [bytes],
    );
    const row = await t.db.get<{ artifact: Uint8Array }>('SELECT artifact FROM model_versions');
    expect(new Uint8Array(row!.artifact)).toEqual(bytes);
  });

  it('refuses a database whose schema is newer than the program', async () => {
    await t.db.run('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
      latestSchemaVersion + 1,
      'from the future',
      0,
    ]);
    await expect(openDatabase(t.location)).rejects.toThrow(/newer than this MovieNight understands/);
  });

  it('compacts: the space of deleted rows is given back, the rows kept are unchanged', async () => {
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      Array.from({ length: 20_000 }, (_, i) => [
        i + 1,
        `a title long enough to fill pages ${i}`,
        2000,
        'Drama',
      ]),
    );
    const kept = await t.db.all('SELECT id, title FROM movies WHERE id % 100 = 0 ORDER BY id');
    await t.db.run('DELETE FROM movies WHERE id % 100 <> 0');
    const r = await t.db.compact();
    expect(r.afterBytes).toBeLessThan(r.beforeBytes);
    // PostgreSQL's size may move by itself (autovacuum adds its maps), so only SQLite's is pinned.
    if (kind.name === 'sqlite') expect(r.afterBytes).toBe((await t.db.storageFacts()).sizeBytes);
    expect(await t.db.all('SELECT id, title FROM movies ORDER BY id')).toEqual(kept);
  });

  it('says where its file is: the SQLite file, or null for PostgreSQL', async () => {
    expect(t.db.file).toBe(kind.name === 'sqlite' ? t.location : null);
  });

  it('reports its size and a clean integrity check', async () => {
    const facts = await t.db.storageFacts();
    expect(facts.integrity).toBe('ok');
    expect(facts.sizeBytes).toBeGreaterThan(0);
  });

  it('makes transactions taking the same advisory lock run one after the other', async () => {
    expect(await lockedOrder(t.db, (tx) => tx.advisoryLock(42))).toEqual(['start 1', 'end 1', 'start 2']);
  });

  it('makes transactions locking the same table run one after the other', async () => {
    expect(await lockedOrder(t.db, (tx) => tx.lockTable('users'))).toEqual(['start 1', 'end 1', 'start 2']);
  });

  it('keeps rows selected for update from other writers until the transaction ends', async () => {
    await t.db.run('INSERT INTO users (id, created_at) VALUES (1, 0)');
    const order = await lockedOrder(t.db, async (tx) => {
      const rows = await tx.selectForUpdate<{ id: number }>('SELECT id FROM users WHERE id = ?', [1]);
      expect(rows).toEqual([{ id: 1 }]);
    });
    expect(order).toEqual(['start 1', 'end 1', 'start 2']);
  });

  it('inserts columns of numbers; rows sharing a conflict key end with the last one', async () => {
    await t.db.insertMany('users', ['id', 'created_at'], [[1, 0]]);
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [
        [1, 'A', null, ''],
        [2, 'B', null, ''],
      ],
    );
    const upsert =
      'ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at';
    const columns = [
      { name: 'user_id', type: 'integer', values: new Int32Array([1, 1, 1]) },
      { name: 'movie_id', type: 'integer', values: new Int32Array([2, 1, 2]) },
      { name: 'rating', type: 'double', values: new Float64Array([1.5, 3, 4.5]) },
      { name: 'rated_at', type: 'bigint', values: new Float64Array([1e12, 2e12, 3e12]) },
    ] as const;
    const changed = await t.db.insertColumns('ratings', columns, 3, {
      conflictKey: ['user_id', 'movie_id'],
      suffix: upsert,
    });
    expect(changed).toBeGreaterThanOrEqual(2);
    expect(await t.db.all('SELECT movie_id, rating, rated_at FROM ratings ORDER BY movie_id')).toEqual([
      { movie_id: 1, rating: 3, rated_at: 2e12 },
      { movie_id: 2, rating: 4.5, rated_at: 3e12 },
    ]);
    expect(await t.db.insertColumns('ratings', columns, 0)).toBe(0);
  });

  it('copies columns into a table and scans numeric rows back without row objects', async () => {
    await t.db.insertMany('users', ['id', 'created_at'], [[7, 0]]);
    const movies = Array.from({ length: 5000 }, (_, i) => [i + 1, `M${i}`, null, ''] as const);
    await t.db.insertMany('movies', ['id', 'title', 'year', 'genres'], movies);
    const n = 5000;
    const columns = [
      { name: 'user_id', type: 'integer', values: new Int32Array(n).fill(7) },
      { name: 'movie_id', type: 'integer', values: Int32Array.from({ length: n }, (_, i) => n - i) },
      {
        name: 'rating',
        type: 'double',
        values: Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 10) / 2),
      },
      { name: 'rated_at', type: 'bigint', values: Float64Array.from({ length: n }, (_, i) => 1.6e12 + i) },
    ] as const;
    expect(await t.db.transaction((tx) => tx.copyInto('ratings', columns, n))).toBe(n);
    expect(await t.db.copyInto('ratings', columns, 0)).toBe(0);
    const seen: number[][] = [];
    const rows = await t.db.scanNumbers(
      'SELECT movie_id, rating, rated_at FROM ratings WHERE user_id = ? AND movie_id > ? ORDER BY movie_id',
      [7, 4997],
      (row) => seen.push([...row]),
    );
    expect(rows).toBe(3);
    // movie m was row n - m: rating 0.5 + ((n - m) % 10) / 2, time 1.6e12 + n - m.
    expect(seen).toEqual([
      [4998, 1.5, 1.6e12 + 2],
      [4999, 1, 1.6e12 + 1],
      [5000, 0.5, 1.6e12],
    ]);
    await expect(
      t.db.scanNumbers('SELECT movie_id FROM ratings WHERE user_id = ?', [], () => undefined),
    ).rejects.toThrow();
  });

  it('scans rows grouped by their first column exactly as row by row, in the same order', async () => {
    await t.db.insertMany(
      'users',
      ['id', 'created_at'],
      [1, 2, 3, 5].map((id) => [id, 0]),
    );
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      Array.from({ length: 70 }, (_, i) => [i + 1, `M${i}`, null, '']),
    );
    // Values that read back through text only when rendered exactly: thirds, a negative, a large
    // time, and one real with an exponent.
    const rows: (readonly [number, number, number, number])[] = [];
    for (const user of [1, 2, 3, 5])
      for (let m = 1; m <= (user === 2 ? 1 : 13 * user); m += user)
        rows.push([
          user,
          m,
          m % 3 === 0 ? 1 / 3 : m % 4 === 0 ? -0.5 : m === 5 ? 1e21 : m / 2,
          1.7e12 + m * user,
        ]);
    await t.db.insertMany('ratings', ['user_id', 'movie_id', 'rating', 'rated_at'], rows);
    const sql =
      'SELECT user_id, movie_id, rating, rated_at FROM ratings WHERE user_id <> ? ORDER BY user_id, movie_id';
    const scan = async (options: ScanNumbersOptions) => {
      const seen: number[][] = [];
      const n = await t.db.scanNumbers(sql, [3], (row) => seen.push([...row]), options);
      expect(n).toBe(seen.length);
      return seen;
    };
    const want = rows.filter((r) => r[0] !== 3).map((r) => [...r]);
    expect(await scan({ groupedByFirst: false })).toEqual(want);
    expect(await scan({ groupedByFirst: true })).toEqual(want);
    // Said to be large, so a SQLite file reads users 3 and up on a worker thread: same rows, same order.
    const split = { groupedByFirst: true, firstRange: { min: 1, max: 5, rows: parallelScanRows } };
    expect(await scan(split)).toEqual(want);
    // A range whose upper half holds no rows, and one given inside a transaction (one thread).
    expect(await scan({ ...split, firstRange: { min: 1, max: 20, rows: parallelScanRows } })).toEqual(want);
    const inTransaction: number[][] = [];
    await t.db.transaction((tx) => tx.scanNumbers(sql, [3], (row) => inTransaction.push([...row]), split));
    expect(inTransaction).toEqual(want);
  });

  it('drops foreign keys for a bulk load and checks them in one pass when they are added back', async () => {
    const keys = await t.db.foreignKeys('ratings');
    if (kind.name === 'sqlite') {
      expect(keys).toEqual([]);
      return;
    }
    expect(keys.map((k) => k.definition).sort()).toEqual([
      'FOREIGN KEY (movie_id) REFERENCES movies(id)',
      'FOREIGN KEY (user_id) REFERENCES users(id)',
    ]);
    // A rating of a user who does not exist goes in while the keys are away, and is caught on the way back.
    await expect(
      t.db.transaction(async (tx) => {
        await tx.dropConstraints('ratings', keys);
        await tx.run('INSERT INTO movies (id, title, year, genres) VALUES (1, ?, NULL, ?)', ['A', '']);
        await tx.run('INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (99, 1, 4, 0)');
        await tx.addConstraints('ratings', keys);
      }),
    ).rejects.toThrow(/foreign key/);
    expect(await t.db.foreignKeys('ratings')).toEqual(keys);
    expect(await t.db.get('SELECT COUNT(*) AS n FROM ratings')).toEqual({ n: 0 });
  });

  it('checks the foreign keys of a bulk-loaded table at commit, and checks row by row again after', async () => {
    const bulk = { foreignKeysCheckedAtCommit: ['ratings'] };
    const rating = 'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)';
    // A rating of a movie and one of a user that do not exist: the transaction fails whole.
    for (const [user, movie] of [
      [1, 99],
      [99, 1],
    ]) {
      await expect(
        t.db.transaction(async (tx) => {
          await tx.run('INSERT INTO users (id, created_at) VALUES (1, 0)');
          await tx.run("INSERT INTO movies (id, title, year, genres) VALUES (1, 'A', NULL, '')");
          await tx.run(rating, [1, 1, 4, 0]);
          await tx.run(rating, [user!, movie!, 3, 0]);
        }, bulk),
      ).rejects.toThrow(
        kind.name === 'sqlite' ? /foreign keys of ratings do not hold: 1 name no row of/ : /foreign key/,
      );
      expect(await t.db.get('SELECT COUNT(*) AS n FROM users')).toEqual({ n: 0 });
    }
    // Row-by-row checks are back on, for this connection's next transactions.
    await expect(t.db.run(rating, [9, 9, 3, 0])).rejects.toThrow(/FOREIGN KEY|foreign key/);
    await t.db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (id, created_at) VALUES (1, 0)');
      await tx.run("INSERT INTO movies (id, title, year, genres) VALUES (1, 'A', NULL, '')");
      await tx.run(rating, [1, 1, 4, 0]);
    }, bulk);
    expect(await t.db.get('SELECT COUNT(*) AS n FROM ratings')).toEqual({ n: 1 });
    await expect(t.db.run(rating, [1, 9, 3, 0])).rejects.toThrow(/FOREIGN KEY|foreign key/);
  });

  it('lists, drops and recreates the triggers run once per row, in a transaction', async () => {
    await t.db.run('CREATE TABLE trigger_probe (x INTEGER NOT NULL)');
    await t.db.run('CREATE TABLE trigger_log (x INTEGER NOT NULL)');
    if (kind.name === 'sqlite') {
      await t.db.run(
        'CREATE TRIGGER probe_row AFTER INSERT ON trigger_probe BEGIN INSERT INTO trigger_log VALUES (NEW.x); END',
      );
    } else {
      await t.db.run(`CREATE FUNCTION probe_log() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO trigger_log VALUES (NEW.x); RETURN NULL; END $$`);
      await t.db.run(
        'CREATE TRIGGER probe_row AFTER INSERT ON trigger_probe FOR EACH ROW EXECUTE FUNCTION probe_log()',
      );
    }
    const logged = async () =>
      Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM trigger_log'))?.n);
    const triggers = await t.db.rowTriggers('trigger_probe');
    expect(triggers.map((x) => x.name)).toEqual(['probe_row']);
    await expect(
      t.db.transaction(async (tx) => {
        await tx.dropTriggers(triggers);
        expect(await tx.rowTriggers('trigger_probe')).toEqual([]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await t.db.rowTriggers('trigger_probe')).toEqual(triggers);
    await t.db.dropTriggers(triggers);
    await t.db.run('INSERT INTO trigger_probe VALUES (1)');
    expect(await logged()).toBe(0);
    await t.db.createTriggers(triggers);
    await t.db.run('INSERT INTO trigger_probe VALUES (2)');
    expect(await logged()).toBe(1);
    // Triggers run once per statement (PostgreSQL's over transition tables) are not listed.
    const ratingTriggers = (await t.db.rowTriggers('ratings')).map((x) => x.name);
    expect(ratingTriggers).toEqual(
      kind.name === 'sqlite' ? ['ratings_count_delete', 'ratings_count_insert', 'ratings_count_move'] : [],
    );
  });

  it('lists, drops and recreates the secondary indexes of a table, in a transaction', async () => {
    const indexes = await t.db.secondaryIndexes('ratings');
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes.map((ix) => ix.name)).toContain('ratings_movie');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.dropIndexes(indexes);
        expect(await tx.secondaryIndexes('ratings')).toEqual([]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await t.db.secondaryIndexes('ratings')).toEqual(indexes);
    await t.db.dropIndexes(indexes);
    await t.db.createIndexes(indexes);
    expect(await t.db.secondaryIndexes('ratings')).toEqual(indexes);
  });
});

/**
 * Starts two transactions at once that both take `lock`; the first holds it for a while. Returns
 * the order of events: a lock that excludes the second gives ['start 1', 'end 1', 'start 2'].
 */
async function lockedOrder(db: Database, lock: (tx: Queryable) => Promise<void>): Promise<string[]> {
  const order: string[] = [];
  let locked!: () => void;
  const firstHasLock = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const first = db.transaction(async (tx) => {
    await lock(tx);
    order.push('start 1');
    locked();
    await new Promise((resolve) => setTimeout(resolve, 100));
    order.push('end 1');
  });
  await firstHasLock;
  const second = db.transaction(async (tx) => {
    await lock(tx);
    order.push('start 2');
  });
  await Promise.all([first, second]);
  return order;
}
