import type { Command } from 'commander';
import { ensureWebBuilt } from '../../../web/build.ts';
import { type Config, loadConfig } from '../../config.ts';
import { installDemoCatalog } from '../../data/generate.ts';
import { loadMovies } from '../../data/load-movies.ts';
import { loadRatingsData } from '../../data/load-ratings.ts';
import type { Database } from '../../db/database.ts';
import { openDatabase } from '../../db/open-database.ts';
import { InvalidInputError } from '../../errors.ts';
import { createModel, modelKinds } from '../../models/model-registry.ts';
import { openConfiguredQueue } from '../../queue/open-queue.ts';
import { parseQueueUrl, requireSharedDatabase } from '../../queue/queue-url.ts';
import { readAliases } from '../../registry/aliases.ts';
import { fitAndRegister } from '../../registry/fit-and-register.ts';
import { type RunningScheduler, startScheduler } from '../../retraining/scheduler.ts';
import { resolveAdminToken } from '../../server/auth/admin-token.ts';
import { deleteExpiredSessions } from '../../server/auth/sessions.ts';
import { createApp } from '../../server/create-app.ts';
import { isServingWorker, runServingWorker, startServingCluster } from '../../server/serving-cluster.ts';
import { startServer } from '../../server/start-server.ts';
import { databaseLocation, integerOption } from '../context.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The first model version on a database that has ratings and no champion: fit on every rating and
 * register it (the first version registered becomes champion), by the same function as `train`.
 */
async function trainFirstVersion(db: Database, kind: string): Promise<void> {
  if ((await readAliases(db)).get('champion') !== undefined) return;
  const data = await loadRatingsData(db);
  if (data.size === 0) {
    say('no ratings yet: no model to serve until some are imported (movienight import …) and trained');
    return;
  }
  const { version, fitSeconds } = await fitAndRegister(db, {
    model: createModel(kind),
    data,
    movies: await loadMovies(db),
    seed: 0,
    reason: 'manual',
  });
  say(
    `trained the first model: v${version.version} ${kind} on ${data.size} ratings in ${fitSeconds.toFixed(1)} s`,
  );
}

interface ServeFlags {
  port: number;
  host: string;
  model: string;
  demo: boolean;
  scheduler: boolean;
  workers: number;
  queue?: string;
}

/** What `serve` answers on, however many processes do the answering. */
interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** What every serving process works from: the flags, the database, the settings, read once. */
interface Serving {
  readonly flags: ServeFlags;
  readonly location: string;
  readonly config: Config;
  /** `--queue`, else the configured queue; undefined without one. */
  readonly queueUrl: string | undefined;
}

/** An app over `db`, listening on the flags' port, its explainer warming: what one serving process runs. */
async function listen(db: Database, { flags, location, config }: Serving): Promise<Listening> {
  const admin = await resolveAdminToken(db);
  const queue = await openConfiguredQueue(flags.queue, config, location);
  const app = createApp({
    db,
    config,
    adminToken: admin.token,
    workerLocation: location,
    ...(queue ? { queue } : {}),
  });
  // Built in the background: the server answers at once, with reasons once the build is done.
  void app.context.explanations.warm().catch((error: unknown) => {
    process.stderr.write(
      `explanations: the first build failed (${(error as Error).message}); a request retries\n`,
    );
  });
  const server = await startServer({ app, port: flags.port, host: flags.host }).catch(
    async (error: unknown) => {
      await queue?.close();
      throw error;
    },
  );
  return {
    url: server.url,
    async close() {
      await server.close();
      await queue?.close();
    },
  };
}

/**
 * A process forked by `serve --workers N`: its own connection (on SQLite without the checkpointing
 * thread, which the primary runs once for every process), its own app, the shared port.
 */
async function serveAsWorker(serving: Serving): Promise<void> {
  await runServingWorker(
    async () => {
      const db = await openDatabase(serving.location, {
        serving: true,
        backgroundCheckpoint: false,
        synchronous: serving.config.sqliteSynchronous,
      });
      const server = await listen(db, serving).catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      return {
        async stop() {
          await server.close();
          await db.close();
        },
      };
    },
    (line) => process.stderr.write(`${line}\n`),
  );
}

/** The demo catalogue on an empty database, the first version, the web app, old sessions gone. */
async function prepare(db: Database, flags: ServeFlags): Promise<void> {
  if (flags.demo) {
    const demo = await installDemoCatalog(db);
    if (demo.installed) {
      say(`loaded the demo catalogue: ${demo.movies} movies, ${demo.users} users, ${demo.ratings} ratings`);
    }
  }
  await trainFirstVersion(db, flags.model);
  if (await ensureWebBuilt()) say('built the web app (web/dist)');
  await deleteExpiredSessions(db);
}

/** One process serving, or `workers` cluster workers on one port with this process supervising. */
async function startListening(db: Database, serving: Serving): Promise<Listening> {
  const { flags } = serving;
  if (flags.workers === 1) return listen(db, serving);
  const workers = await startServingCluster({
    workers: flags.workers,
    host: flags.host,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  say(
    `  ${flags.workers} serving processes: ${workers.pids().join(', ')} (this process ${process.pid} supervises)`,
  );
  return workers;
}

/** The retraining scheduler, in this process only (never in a `--workers` worker). */
function startBackground(db: Database, { config, location }: Serving): RunningScheduler {
  say(`retraining scheduler running in process ${process.pid}`);
  return startScheduler(db, {
    config,
    location,
    onTick: (tick) => {
      if (tick.retrain)
        say(`retrain #${tick.retrain.triggerId}: ${tick.retrain.status} — ${tick.retrain.outcome}`);
      if (tick.error) process.stderr.write(`scheduler: ${tick.error}\n`);
    },
    onError: (error) => process.stderr.write(`scheduler: ${error.message}\n`),
  });
}

/**
 * `movienight serve`: on an empty database loads the demo catalogue and trains the first version,
 * builds the web app when needed, prints the URL and the admin token, serves (in this process, or
 * in `--workers N` processes sharing the port), and runs the retraining scheduler in this process
 * only. Stops cleanly on SIGINT/SIGTERM.
 */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the web app, the HTTP API and the admin dashboard (npm start)')
    .option('--port <n>', 'port (0: any free port)', integerOption('--port', 0, 65535), 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option(
      '--model <kind>',
      `model of the first version on a new database (${modelKinds().join(', ')})`,
      'svd',
    )
    .option('--no-demo', 'do not load the demo catalogue into an empty database')
    .option('--no-scheduler', 'do not run the retraining scheduler in this process')
    .option(
      '--workers <n>',
      'serving processes sharing the port (default 1; one per core uses every core)',
      integerOption('--workers', 1, 256),
      1,
    )
    .option(
      '--queue <url>',
      'send retrains and tuning trials to `movienight worker` processes on this queue (default $MOVIENIGHT_QUEUE_URL); the workers then run the checks',
    )
    .action(async (flags: ServeFlags, command: Command) => {
      createModel(flags.model); // an unknown kind fails before anything starts
      const config = loadConfig(); // and so does a bad config file
      const location = databaseLocation(command);
      const queueUrl = flags.queue || config.queueUrl || undefined;
      const serving: Serving = { flags, location, config, queueUrl };
      if (isServingWorker()) return serveAsWorker(serving);
      if (flags.workers > 1 && (location === ':memory:' || location === '')) {
        throw new InvalidInputError(
          '--workers: an in-memory database cannot be shared by several processes; name a file or a postgres:// URL',
        );
      }
      // A queue over a database only this machine can see is refused before anything starts.
      if (queueUrl) requireSharedDatabase(parseQueueUrl(queueUrl), location);
      await serveMain(serving);
    });
}

/** The primary (or only) serving process: prepares, listens, runs the scheduler, stops on a signal. */
async function serveMain(serving: Serving): Promise<void> {
  const { flags, location, config } = serving;
  const db = await openDatabase(location, { serving: true, synchronous: config.sqliteSynchronous });
  let server: Listening;
  try {
    await prepare(db, flags);
    server = await startListening(db, serving);
  } catch (error) {
    await db.close();
    throw error;
  }
  const admin = await resolveAdminToken(db);
  // With a queue the checks are job schedulers that the workers run, once per interval in all.
  const scheduler = flags.scheduler && !serving.queueUrl ? startBackground(db, serving) : null;
  say(`MovieNight is serving at ${server.url}`);
  say(`  dashboard:   ${server.url}/#/admin`);
  say(`  API:         ${server.url}/openapi.json`);
  say(
    `  admin token: ${admin.token} (${admin.source === 'environment' ? 'from MOVIENIGHT_ADMIN_TOKEN' : 'generated once, kept in the database'})`,
  );
  say(`  database:    ${db.location}${scheduler ? '; retraining scheduler running' : ''}`);
  if (serving.queueUrl) say('  job queue:   retrains and tuning trials run on `movienight worker`');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping…`);
    await scheduler?.stop();
    await server.close();
    await db.close();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
