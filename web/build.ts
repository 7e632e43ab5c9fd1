import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The browser app's build step: bundles web/src/main.ts and web/src/styles.css with esbuild into
 * web/dist under content-hashed names, and writes the page that names them. Run as `npx tsx web/build.ts`; the server also runs it
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

/** True when web/dist is missing or a source (web/src, index.html) is newer than the last build. */
export function isWebBuildStale(): boolean {
  // index.html is written last, after the bundles it names.
  const page = join(webDistDir, 'index.html');
  if (!existsSync(page)) return true;
  const built = statSync(page).mtimeMs;
  const sources = Math.max(newestMtime(join(webRoot, 'src')), statSync(join(webRoot, 'index.html')).mtimeMs);
  return sources > built;
}

/**
 * `<link rel="modulepreload">` for the chunks the main bundle imports, so the browser fetches
 * them with the bundle instead of after parsing it.
 */
function modulePreloads(metafile: import('esbuild').Metafile, main: string): string {
  const [, output] = Object.entries(metafile.outputs).find(([path]) => basename(path) === main) ?? [];
  return (output?.imports ?? [])
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `<link rel="modulepreload" href="/${basename(i.path)}" />`)
    .join('');
}

/**
 * Bundles the script and the stylesheet under content-hashed names (`main-7QK2D3AB.js`), so the
 * server can let browsers keep them for a year (`immutable`): a new build has new names, and only
 * index.html, which names them and is never cached without asking, changes in place. No source
 * map is written into web/dist (it would be public); `sourcemapDir` writes one elsewhere.
 */
export async function buildWeb(options: { minify?: boolean; sourcemapDir?: string } = {}): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(webDistDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(webRoot, 'src', 'main.ts'), join(webRoot, 'src', 'styles.css')],
    entryNames: '[name]-[hash]',
    // The dashboard is a chunk of its own, fetched on the first admin page.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    outdir: webDistDir,
    minify: options.minify ?? true,
    sourcemap: options.sourcemapDir ? 'external' : false,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const named = (re: RegExp) => {
    const file = outputs.find((o) => re.test(o));
    if (!file) throw new Error(`web build: no output matches ${re}`);
    return file;
  };
  if (options.sourcemapDir) {
    mkdirSync(options.sourcemapDir, { recursive: true });
    for (const map of outputs.filter((o) => o.endsWith('.map')))
      renameSync(join(webDistDir, map), join(options.sourcemapDir, map));
  }
  const main = named(/^main-\w+\.js$/);
  const page = readFileSync(join(webRoot, 'index.html'), 'utf8')
    .replace('/main.js', `/${main}`)
    .replace('/styles.css', `/${named(/^styles-\w+\.css$/)}`)
    .replace('</head>', `${modulePreloads(result.metafile, main)}</head>`);
  // Written aside and renamed, so a server reading it meanwhile never sees half a page.
  const temporary = join(webDistDir, `index.html.${process.pid}.tmp`);
  writeFileSync(temporary, page);
  renameSync(temporary, join(webDistDir, 'index.html'));
  // Bundles of earlier builds go; the ones just named stay (a build of the same sources has the
  // same names, so a server of this checkout that is running is not left without its files).
  for (const old of readdirSync(webDistDir)) {
    if (!outputs.includes(old) && old !== 'index.html' && !old.endsWith('.tmp'))
      rmSync(join(webDistDir, old), { force: true });
  }
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
