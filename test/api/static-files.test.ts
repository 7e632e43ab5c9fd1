import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type MovieNightApp } from '../../src/server/create-app.ts';
import { sqliteKind, type TestDatabase } from '../helpers/databases.ts';

const bundle = `export const words = ${JSON.stringify('popcorn '.repeat(400))};`;

describe('web app files', () => {
  let dir: string;
  let testDb: TestDatabase;
  let server: MovieNightApp;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'movienight-web-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dir, 'dist', 'main.js'), 'console.log(1)');
    writeFileSync(join(dir, 'dist', 'main-ABCD2345.js'), bundle);
    writeFileSync(join(dir, 'dist', 'main-ABCD2345.js.map'), '{"version":3}');
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

  it('sends hashed bundles compressed and cached for a year, the page revalidated, no source map', async () => {
    const br = await server.app.request('/main-ABCD2345.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(bundle.length / 4);
    expect(brotliDecompressSync(brBytes).toString()).toBe(bundle);
    const gzip = await server.app.request('/main-ABCD2345.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer())).toString()).toBe(bundle);
    const plain = await server.app.request('/main-ABCD2345.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(bundle);
    expect((await server.app.request('/')).headers.get('cache-control')).toBe('no-cache');
    // An unhashed file is not promised to stay the same.
    expect((await server.app.request('/main.js')).headers.get('cache-control')).toBe('no-cache');
    const map = await server.app.request('/main-ABCD2345.js.map');
    expect(await map.text()).not.toContain('"version":3');
  });
});
