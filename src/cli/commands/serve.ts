import type { Command } from 'commander';
import { ensureWebBuilt } from '../../../web/build.ts';
import { loadConfig } from '../../config.ts';
import { installDemoCatalog } from '../../data/generate.ts';
import { loadMovies } from '../../data/load-movies.ts';
import { loadRatingsData } from '../../data/load-ratings.ts';
import type { Database } from '../../db/database.ts';
import { openDatabase } from '../../db/open-database.ts';
import { createModel, modelKinds } from '../../models/model-registry.ts';
import { readAliases } from '../../registry/aliases.ts';
import { fitAndRegister } from '../../registry/fit-and-register.ts';
import { startScheduler } from '../../retraining/scheduler.ts';
import { resolveAdminToken } from '../../server/auth/admin-token.ts';
import { deleteExpiredSessions } from '../../server/auth/sessions.ts';
import { createApp } from '../../server/create-app.ts';
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
}

/**
 * `movienight serve`: on an empty database loads the demo catalogue and trains the first version,
 * builds the web app when needed, prints the URL and the admin token, serves, and runs the
 * retraining scheduler beside the server. Stops cleanly on SIGINT/SIGTERM.
 * It is long because it declares the server's options and wires start-up, signals and shutdown in the order they must happen.
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
    .action(async (flags: ServeFlags, command: Command) => {
      createModel(flags.model); // an unknown kind fails before anything starts
      const config = loadConfig();
      const location = databaseLocation(command);
      const db = await openDatabase(location, { serving: true, synchronous: config.sqliteSynchronous });
      try {
        if (flags.demo) {
          const demo = await installDemoCatalog(db);
          if (demo.installed) {
            say(
              `loaded the demo catalogue: ${demo.movies} movies, ${demo.users} users, ${demo.ratings} ratings`,
            );
          }
        }
        await trainFirstVersion(db, flags.model);
        if (await ensureWebBuilt()) say('built the web app (web/dist)');
        await deleteExpiredSessions(db);
      } catch (error) {
        await db.close();
        throw error;
      }
      const admin = await resolveAdminToken(db);
      const app = createApp({ db, config, adminToken: admin.token, workerLocation: location });
      await app.context.explanations.warm();
      const server = await startServer({ app, port: flags.port, host: flags.host });
      const scheduler = flags.scheduler
        ? startScheduler(db, {
            config,
            location,
            onTick: (tick) => {
              if (tick.retrain)
                say(`retrain #${tick.retrain.triggerId}: ${tick.retrain.status} — ${tick.retrain.outcome}`);
              if (tick.error) process.stderr.write(`scheduler: ${tick.error}\n`);
            },
            onError: (error) => process.stderr.write(`scheduler: ${error.message}\n`),
          })
        : null;
      say(`MovieNight is serving at ${server.url}`);
      say(`  dashboard:   ${server.url}/#/admin`);
      say(`  API:         ${server.url}/openapi.json`);
      say(
        `  admin token: ${admin.token} (${admin.source === 'environment' ? 'from MOVIENIGHT_ADMIN_TOKEN' : 'generated once, kept in the database'})`,
      );
      say(`  database:    ${db.location}${scheduler ? '; retraining scheduler running' : ''}`);
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
    });
}
