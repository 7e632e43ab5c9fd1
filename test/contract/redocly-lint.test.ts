import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/start-server.ts';
import { startTestServer, type TestServer } from '../api/test-server.ts';
import { sqliteKind } from '../helpers/databases.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly { readonly ruleId: string; readonly message: string }[];
}

describe('the served /openapi.json under redocly lint', () => {
  let t: TestServer;
  let live: RunningServer;

  beforeAll(async () => {
    t = await startTestServer(sqliteKind);
    live = await startServer({ app: t.server, port: 0 });
  });
  afterAll(async () => {
    await live.close();
    await t.testDb.drop();
  });

  it('has 0 errors and 0 warnings with the recommended rules (redocly.yaml)', async () => {
    const { stdout } = await run(
      join(root, 'node_modules', '.bin', 'redocly'),
      ['lint', `${live.url}/openapi.json`, '--config', join(root, 'redocly.yaml'), '--format', 'json'],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as LintReport;
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
