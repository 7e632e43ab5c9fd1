/**
 * `movienight/server`: the application's serving side — the HTTP app (for any Hono-compatible
 * host), the Node server around it, and the retrain scheduler a serving process runs.
 */

export {
  type RunningScheduler,
  type SchedulerOptions,
  type SchedulerTick,
  startScheduler,
} from '../retraining/scheduler.ts';
export { type CreateAppOptions, createApp, type MovieNightApp } from './create-app.ts';
export { type RunningServer, type StartServerOptions, startServer } from './start-server.ts';
