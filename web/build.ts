import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The browser app's build step: bundles web/src/main.ts with esbuild into web/dist/main.js and
 * copies the page and stylesheet beside it. Run as `npx tsx web/build.ts`; the server also runs it
 * at start when web/dist is missing or older than a source file, so a fresh clone just works.
 */
// From the sources this file is web/build.ts; compiled, it is dist/web/build.js and the app's
// sources and output are still in <root>/web.
export const webRoot = existsSync(join(import.meta.dirname, 'index.html'))
  ? resolve(import.meta.dirname)
  : resolve(import.meta.dirname, '..', '..', 'web');
export const webDistDir = join(webRoot, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when web/dist is missing or a source (web/src, index.html, charts it bundles) is newer. */
export function isWebBuildStale(): boolean {
  const bundle = join(webDistDir, 'main.js');
  if (!existsSync(bundle) || !existsSync(join(webDistDir, 'index.html'))) return true;
  const built = statSync(bundle).mtimeMs;
  const sources = Math.max(newestMtime(join(webRoot, 'src')), statSync(join(webRoot, 'index.html')).mtimeMs);
  return sources > built;
}

export async function buildWeb(options: { minify?: boolean } = {}): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(webDistDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(webRoot, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    outfile: join(webDistDir, 'main.js'),
    minify: options.minify ?? true,
    sourcemap: true,
    logLevel: 'warning',
  });
  copyFileSync(join(webRoot, 'index.html'), join(webDistDir, 'index.html'));
  copyFileSync(join(webRoot, 'src', 'styles.css'), join(webDistDir, 'styles.css'));
}

/** Builds when needed; returns whether it built. Without web/src (an installed package) it never builds. */
export async function ensureWebBuilt(): Promise<boolean> {
  if (!existsSync(join(webRoot, 'src', 'main.ts'))) return false;
  if (!isWebBuildStale()) return false;
  await buildWeb();
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildWeb();
  console.log(`built ${webDistDir}`);
}
