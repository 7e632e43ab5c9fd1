import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../test/helpers/cli.ts';
import { InvalidInputError } from '../errors.ts';
import { configuredQueueDisplay, parseQueueUrl, requireSharedDatabase } from './queue-url.ts';

describe('the queue setting', () => {
  it('takes redis:// and postgres:// URLs and shows them without the password', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379/2')).toMatchObject({ backend: 'redis' });
    expect(parseQueueUrl('rediss://q.example:6380')).toMatchObject({ backend: 'redis' });
    const pg = parseQueueUrl('postgres://mn:secret@db:5432/movies');
    expect(pg.backend).toBe('postgres');
    expect(pg.url).toContain('secret');
    expect(pg.display).not.toContain('secret');
    expect(configuredQueueDisplay({ queueUrl: 'redis://:pw@h:1/0' })).toBe('redis://:***@h:1/0');
    expect(configuredQueueDisplay({})).toBeNull();
  });

  it('refuses other URLs, naming what was given', () => {
    expect(() => parseQueueUrl('amqp://broker')).toThrow(/redis:\/\/… or postgres:\/\/…, got a amqp/);
    expect(() => parseQueueUrl('not a url')).toThrow(InvalidInputError);
  });

  it('refuses a queue over a database only one machine sees', () => {
    const url = parseQueueUrl('redis://127.0.0.1:6379');
    expect(() => requireSharedDatabase(url, '/tmp/movies.db')).toThrow(/needs a PostgreSQL database/);
    expect(() => requireSharedDatabase(url, ':memory:')).toThrow(InvalidInputError);
    expect(() => requireSharedDatabase(url, 'postgres://h/db')).not.toThrow();
  });

  it('tune, retrain and worker with --queue on SQLite exit non-zero and say why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'movienight-queue-refused-'));
    try {
      const db = join(dir, 'movies.db');
      for (const args of [
        ['tune', '--queue', 'redis://127.0.0.1:1'],
        ['retrain', '--queue', 'postgres://127.0.0.1:1/x'],
        ['worker', '--queue', 'redis://127.0.0.1:1'],
      ]) {
        const run = await runCliInProcess(['--db', db, ...args]);
        expect(run.code, args.join(' ')).toBe(2);
        expect(run.stderr).toMatch(/needs a PostgreSQL database that every worker can reach/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
