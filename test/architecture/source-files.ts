import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The project root these checks read by default (a different root measures another checkout). */
export const projectRoot = resolve(import.meta.dirname, '..', '..');

/** Files under `dir` (relative to `root`) whose names pass `keep`, as root-relative paths, sorted. */
export function listFiles(root: string, dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const path = join(abs, e.name);
      if (e.isDirectory()) walk(path);
      else if (keep(e.name)) out.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/** Test files, contract suites and test fixtures: not part of the shipped library. */
export function isTestFile(path: string): boolean {
  return /\.(test|contract)\.ts$/.test(path) || path.split('/').includes('fixtures');
}

/** Non-test TypeScript under `src/` (the library the rules apply to), generated files excluded. */
export function librarySources(root: string = projectRoot): string[] {
  return listFiles(root, 'src', (n) => n.endsWith('.ts') && !n.endsWith('.generated.ts')).filter(
    (p) => !isTestFile(p),
  );
}

/** A parsed source file (with parent pointers, so nodes know their statements). */
export function parse(root: string, path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(join(root, path), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** 1-based line of a position. */
export function lineOf(file: ts.SourceFile, pos: number): number {
  return file.getLineAndCharacterOfPosition(pos).line + 1;
}
