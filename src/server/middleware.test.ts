import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { loadConfig } from '../config.ts';
import { createApp } from './create-app.ts';

/** A stream that keeps every line written to it. */
function lineSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  return { stream, lines };
}

let t: TestDatabase;
beforeEach(async () => {
  t = await sqliteKind.create();
});
afterEach(async () => t.drop());

function appLoggingTo(stream: Writable, logLevel: 'info' | 'silent') {
  return createApp({
    db: t.db,
    config: loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel } }),
    adminToken: 'token',
    webDist: null,
    logDestination: stream,
  });
}

it('writes one log line per request with method, route pattern, status and duration', async () => {
  const sink = lineSink();
  const server = appLoggingTo(sink.stream, 'info');
  const found = await server.app.request('/healthz');
  const missing = await server.app.request('/api/movies/12345');
  expect([found.status, missing.status]).toEqual([200, 404]);
  await server.close();
  expect(sink.lines).toHaveLength(2);
  const [first, second] = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(first).toMatchObject({ level: 30, msg: 'request', method: 'GET', route: '/healthz', status: 200 });
  expect(second).toMatchObject({ method: 'GET', route: '/api/movies/:id', status: 404 });
  expect(typeof first?.durationMs).toBe('number');
  expect(first?.durationMs as number).toBeGreaterThanOrEqual(0);
});

it('writes nothing at level silent, and still answers with the security header', async () => {
  const sink = lineSink();
  const server = appLoggingTo(sink.stream, 'silent');
  const response = await server.app.request('/api/nowhere');
  expect(response.status).toBe(404);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  await server.close();
  expect(sink.lines).toEqual([]);
});

it('reads the log level from MOVIENIGHT_LOG_LEVEL and refuses an unknown one by name', () => {
  expect(loadConfig({ env: {}, file: '/nonexistent' }).logLevel).toBe('info');
  expect(loadConfig({ env: { MOVIENIGHT_LOG_LEVEL: 'warn' }, file: '/nonexistent' }).logLevel).toBe('warn');
  expect(() => loadConfig({ env: { MOVIENIGHT_LOG_LEVEL: 'loud' }, file: '/nonexistent' })).toThrow(
    /logLevel.*MOVIENIGHT_LOG_LEVEL/,
  );
});
