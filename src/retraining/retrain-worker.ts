// Runs one retrain in a worker thread, so the process that serves recommendations (server or
// `movienight worker`) keeps answering while a model trains. The thread opens its own database
// connection from the location it is given: connections cannot cross threads.
import type { Config } from '../config.ts';
import { openDatabase } from '../db/open-database.ts';
import { connectToParent } from '../threads/worker-thread.ts';
import { type RetrainResult, runRetrain } from './retrain-orchestrator.ts';

export interface RetrainWorkerRequest {
  readonly location: string;
  readonly config: Config;
  readonly triggerId: number;
  readonly holder: string;
}

export type RetrainWorkerReply =
  | { readonly ok: true; readonly result: RetrainResult }
  | { readonly ok: false; readonly error: string };

const port = connectToParent<RetrainWorkerRequest, RetrainWorkerReply>();
port.onMessage((request) => {
  void (async () => {
    const db = await openDatabase(request.location);
    try {
      const result = await runRetrain(db, request.config, {
        triggerId: request.triggerId,
        holder: request.holder,
      });
      port.post({ ok: true, result });
    } catch (error) {
      port.post({ ok: false, error: (error as Error).message });
    } finally {
      await db.close();
    }
  })();
});
