import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../db/database.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { SqlCatalogStore } from './catalog-store.ts';
import { planRatingsLoad, RatingsWriter, writeMovies } from './import-writer.ts';
import { joinGenres } from './load-movies.ts';
import { createSyntheticWorld, type SyntheticWorld, type SyntheticWorldOptions } from './synthetic-world.ts';

export interface GenerateOptions extends SyntheticWorldOptions {
  readonly ratings: number;
}

/** What `generate` wrote: plain data for the CLI. */
export interface GenerateSummary {
  readonly target: string;
  readonly users: number;
  readonly movies: number;
  readonly ratings: number;
  readonly seed: number;
  readonly scale: 'half' | 'whole';
  readonly meanRating: number;
  readonly seconds: number;
}

function summary(
  target: string,
  o: GenerateOptions,
  world: SyntheticWorld,
  users: number,
  sum: number,
  started: number,
): GenerateSummary {
  return {
    target,
    users,
    movies: world.movies,
    ratings: o.ratings,
    seed: o.seed,
    scale: o.scale ?? 'half',
    meanRating: o.ratings ? Math.round((sum / o.ratings) * 1e5) / 1e5 : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The advisory lock two processes generating into one empty database take turns on. */
const generateLockKey = 727272;

/**
 * Generates a synthetic world's catalogue and ratings into a database that has no movies yet (ids
 * 1…N would collide with a real catalogue), in one transaction, streamed user by user.
 */
export async function generateIntoDatabase(db: Database, options: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now();
  const world = createSyntheticWorld(options);
  const stream = world.ratingsByUser(options.ratings, options.seed); // validates the count up front
  const plan = await planRatingsLoad(db, options.ratings);
  return db.transaction(async (tx) => {
    // Two processes filling the same empty PostgreSQL database (server and worker starting at once)
    // take turns here, so the second sees the first's movies and stops with a ConflictError.
    // (On SQLite, BEGIN IMMEDIATE already serialises writers and the lock is a no-op.)
    await tx.advisoryLock(generateLockKey);
    const existing = await new SqlCatalogStore(tx).countMovies();
    if (existing > 0) {
      throw new ConflictError(
        `${db.location} already has ${existing} movies: generate into an empty database, or write a folder with --out and import it`,
      );
    }
    await writeMovies(
      tx,
      world
        .catalogue()
        .map((m) => ({ id: m.id, title: m.title, year: m.year, genres: joinGenres(m.genres) })),
    );
    const writer = new RatingsWriter(tx, true);
    await writer.start(plan);
    let sum = 0;
    let users = 0;
    for (const ur of stream) {
      users += 1;
      for (let i = 0; i < ur.movies.length; i++) {
        sum += ur.ratings[i]!;
        await writer.add(ur.user, ur.movies[i]!, ur.ratings[i]!, ur.timestamps[i]!);
      }
    }
    await writer.finish();
    return summary(db.location, options, world, users, sum, started);
  }, plan.transaction);
}

/** A CSV field, quoted when it holds a comma or a quote. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Writes with back-pressure, so a 10-million-line file never sits in memory. */
class LineSink {
  private buffer: string[] = [];
  private size = 0;
  private readonly stream;
  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
  }
  async write(line: string): Promise<void> {
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 18) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const chunk = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/**
 * Writes `movies.csv` and `ratings.csv` in the ml-latest layout (timestamps in seconds), which
 * `import movielens <dir>` reads back to exactly what `generateIntoDatabase` writes.
 */
export async function generateToFolder(dir: string, options: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now();
  const world = createSyntheticWorld(options);
  const stream = world.ratingsByUser(options.ratings, options.seed);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new InvalidInputError(`cannot create ${dir}: ${(error as Error).message}`);
  }
  const movies = new LineSink(join(dir, 'movies.csv'));
  await movies.write('movieId,title,genres');
  for (const m of world.catalogue()) {
    await movies.write(
      `${m.id},${csvField(m.title)},${m.genres.length ? joinGenres(m.genres) : '(no genres listed)'}`,
    );
  }
  await movies.close();
  const ratings = new LineSink(join(dir, 'ratings.csv'));
  await ratings.write('userId,movieId,rating,timestamp');
  let sum = 0;
  let users = 0;
  for (const ur of stream) {
    users += 1;
    for (let i = 0; i < ur.movies.length; i++) {
      const r = ur.ratings[i]!;
      sum += r;
      await ratings.write(`${ur.user},${ur.movies[i]},${r.toFixed(1)},${ur.timestamps[i]! / 1000}`);
    }
  }
  await ratings.close();
  return summary(dir, options, world, users, sum, started);
}

/** The demo catalogue `npm start` loads into an empty database: small enough to train in seconds. */
export const demoCatalogOptions: GenerateOptions = Object.freeze({
  users: 600,
  movies: 1500,
  ratings: 60_000,
  seed: 20_251_126,
  scale: 'half',
});

export interface DemoCatalogResult {
  /** False when the database already had movies: it is then left alone. */
  readonly installed: boolean;
  readonly movies: number;
  readonly users: number;
  readonly ratings: number;
  readonly generated?: GenerateSummary;
}

/** Loads the demo catalogue when the database has no movies; otherwise changes nothing. */
export async function installDemoCatalog(db: Database): Promise<DemoCatalogResult> {
  const store = new SqlCatalogStore(db);
  const count = () => store.counts();
  const before = await count();
  if (before.movies > 0) return { installed: false, ...before };
  try {
    const generated = await generateIntoDatabase(db, demoCatalogOptions);
    return { installed: true, ...(await count()), generated };
  } catch (error) {
    // Another process filled it between our check and our transaction: that is fine too.
    if (error instanceof ConflictError) return { installed: false, ...(await count()) };
    throw error;
  }
}
