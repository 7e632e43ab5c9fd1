import type { Database } from '../db/database.ts';

/** Tuning runs started by this server in the background (wired to C's runTuning). */
export class TuningJobs {
  constructor(readonly db: Database) {}
  async close(): Promise<void> {}
}
