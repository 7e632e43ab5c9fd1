import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LogSync } from './log-sync.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mn-log-sync-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('shares one sync between callers that arrive while one runs, and starts it after the running one', async () => {
  const file = join(dir, 'movies.db-wal');
  writeFileSync(file, 'log');
  const log = new LogSync(file);
  const first = log.sync();
  const second = log.sync();
  const third = log.sync();
  // The second and third callers committed after the first sync may have begun: they share the next.
  expect(third).toBe(second);
  expect(second).not.toBe(first);
  const order: string[] = [];
  await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
  expect(order).toEqual(['first', 'second']);
  // Nothing running: a new caller starts a sync of its own.
  const fourth = log.sync();
  expect(fourth).not.toBe(second);
  await fourth;
  await log.close();
});

it('fails the callers when the log cannot be synced', async () => {
  const log = new LogSync(join(dir, 'missing-wal'));
  await expect(log.sync()).rejects.toThrow(/ENOENT/);
  await log.close();
});
