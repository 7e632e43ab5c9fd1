import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The published surface, as an integrator meets it: the package is compiled into a staging copy
 * (never this checkout's dist/, which the CLI tests may be running), packed with `npm pack`, and the
 * tarball extracted into a scratch project's node_modules with the dependencies linked from ours
 * (no registry needed). Each example of docs/library.md is then typechecked by `tsc` against the
 * published types only and run by `node` as ESM.
 */

const root = resolve(import.meta.dirname, '..');
const nodeModules = join(root, 'node_modules');
const tsc = join(nodeModules, 'typescript', 'bin', 'tsc');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  readonly dependencies: Record<string, string>;
  readonly exports: Record<string, unknown>;
};

/** The ```ts blocks of docs/library.md, in order. */
function docExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let work: string;
let scratch: string;

function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Compiles the package into a staging folder, packs it, and installs the tarball into `scratch`. */
function packAndInstall(): void {
  const stage = join(work, 'stage');
  mkdirSync(stage);
  run(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')],
    root,
  );
  for (const entry of ['package.json', 'bin', 'README.md'])
    cpSync(join(root, entry), join(stage, entry), { recursive: true });
  const tarball = run('npm', ['pack', '--silent', '--pack-destination', work], stage)
    .trim()
    .split('\n')
    .at(-1)!;
  const installed = join(scratch, 'node_modules', 'movienight');
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', join(work, tarball), '-C', installed, '--strip-components=1'], work);
  const linked = [...Object.keys(pkg.dependencies), '@types/node', '@types/better-sqlite3', '@types/pg'];
  for (const name of linked) {
    const link = join(scratch, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(nodeModules, name), link, 'dir');
  }
}

describe('the packed package, installed in a scratch project', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'movienight-pack-'));
    scratch = join(work, 'scratch');
    mkdirSync(scratch);
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
    );
    packAndInstall();
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('exports the library, the server and the CLI, and nothing else', () => {
    const installed = JSON.parse(
      readFileSync(join(scratch, 'node_modules', 'movienight', 'package.json'), 'utf8'),
    );
    expect(Object.keys(installed.exports)).toEqual(['.', './server', './cli', './package.json']);
    expect(Object.keys(pkg.exports)).toEqual(Object.keys(installed.exports));
    // The installed bin runs the compiled CLI (no TypeScript loader needed).
    const help = run(
      process.execPath,
      [join('node_modules', 'movienight', 'bin', 'movienight.js'), '--help'],
      scratch,
    );
    expect(help).toMatch(/^Usage: movienight \[options\] \[command\]/);
  });

  it('typechecks every docs/library.md example against the published types, and runs it', () => {
    const examples = docExamples(readFileSync(join(root, 'docs', 'library.md'), 'utf8'));
    expect(examples.map((e) => e.match(/from 'movienight(\/\w+)?'/g)?.at(-1))).toEqual([
      "from 'movienight'",
      "from 'movienight/server'",
      "from 'movienight/cli'",
    ]);
    const files = examples.map((code, i) => {
      writeFileSync(join(scratch, `example-${i}.ts`), code);
      return `example-${i}.ts`;
    });
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'out',
        },
        files,
      }),
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], scratch);
    const outputs = files.map((f) =>
      run(process.execPath, [join('out', f.replace(/\.ts$/, '.js'))], scratch),
    );
    expect(outputs[0]).toMatch(
      /^svd test RMSE \d\.\d{3}\nbest reg_u [\d.]+ \(RMSE \d\.\d{3}\) of 8 trials\n$/,
    );
    expect(outputs[1]).toBe('GET /healthz → 200\n');
    expect(outputs[2]).toContain('generate → exit 0; generate --users many → exit 2\n');
  }, 180_000);

  it('refuses a misspelt model parameter at compile time, from the published types', () => {
    writeFileSync(
      join(scratch, 'typo.ts'),
      "import { createModel } from 'movienight';\ncreateModel('svd', { n_factor: 20 });\n",
    );
    let output = '';
    try {
      run(
        process.execPath,
        [tsc, '--noEmit', '--strict', '--module', 'NodeNext', '--skipLibCheck', 'typo.ts'],
        scratch,
      );
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).toMatch(/typo\.ts\(2,22\): error TS2561: .*'n_factor' does not exist/);
  }, 120_000);
});
