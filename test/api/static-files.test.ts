import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type MovieNightApp } from '../../src/server/create-app.ts';
import { sqliteKind, type TestDatabase } from '../helpers/databases.ts';

describe('web app files', () => {
  let dir: string;
  let testDb: TestDatabase;
  let server: MovieNightApp;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'movienight-web-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'dist', 'main.js'), 'console.log(1)');
    mkdirSync(join(dir, 'dist-secret'));
    writeFileSync(join(dir, 'dist-secret', 'key.txt'), 'TOP-SECRET-VALUE');
    testDb = await sqliteKind.create();
    server = createApp({
      db: testDb.db,
      config: loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel: 'silent' } }),
      adminToken: 't',
      webDist: join(dir, 'dist'),
    });
  });
  afterAll(async () => {
    await server.close();
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the bundle, index.html for app paths, and nothing outside the folder', async () => {
    const js = await server.app.request('/main.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    const page = await server.app.request('/some/app/path');
    expect(await page.text()).toContain('<title>app</title>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const path of [
      '/../dist-secret/key.txt',
      '/%2e%2e/dist-secret/key.txt',
      '/..%2fdist-secret%2fkey.txt',
    ]) {
      const r = await server.app.request(path);
      expect(await r.text(), path).not.toContain('TOP-SECRET-VALUE');
    }
    expect((await server.app.request('/%E0%A4%A')).status).toBeLessThan(500);
    // API paths never fall back to the page.
    expect((await server.app.request('/api/nope')).status).toBe(404);
  });
});
