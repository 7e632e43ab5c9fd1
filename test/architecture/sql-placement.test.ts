import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * SQL lives only in `src/db/**` and in store files (`*-store.ts`, `*-storage.ts`); only `src/db`
 * branches on which database it is. These tests read every non-test source file under `src/` and
 * name each offending line as `file:line`, so a newcomer knows where a statement belongs.
 */

const root = join(import.meta.dirname, '..', '..');
const srcDir = join(root, 'src');

/**
 * Files allowed to break a rule while their move is under way. Empty: every module's SQL is in
 * its store and every database difference is a capability of `Database`.
 */
const knownRemainingFiles: readonly string[] = [];

/** SQL statement shapes, matched case-sensitively as SQL is written in this codebase. */
const sqlPatterns: readonly RegExp[] = [
  /\bSELECT\b[\s\S]*?\bFROM\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\bCREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\b/,
  /\bPRAGMA\b/,
];

const dialectBranch = /\.dialect\s*[!=]==/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !/\.(test|contract)\.ts$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Path from the repository root with forward slashes, as reports print it. */
const display = (path: string): string => relative(root, path).split(sep).join('/');

const inDb = (file: string): boolean => file.startsWith('src/db/');
const isStore = (file: string): boolean => /-(store|storage)\.ts$/.test(file);

/**
 * The `file:line` of each match of `pattern` in `text`. A statement may span lines (a SELECT whose
 * FROM is on the next line), so the match runs over the whole text but never over more than a few
 * lines, and reports the line where it starts.
 */
function findLines(text: string, pattern: RegExp): number[] {
  const lines = text.split('\n');
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const window = lines.slice(i, i + 4).join('\n');
    const m = pattern.exec(window);
    if (m && m.index < (lines[i]?.length ?? 0) + 1 && !found.includes(i + 1)) found.push(i + 1);
  }
  return found;
}

function offenders(check: (file: string, text: string) => number[]): string[] {
  const out: string[] = [];
  for (const path of sourceFiles(srcDir)) {
    const file = display(path);
    if (knownRemainingFiles.includes(file)) continue;
    const text = readFileSync(path, 'utf8');
    for (const line of check(file, text)) out.push(`${file}:${line}`);
  }
  return out;
}

describe('where SQL and database differences live', () => {
  it('finds a statement spread over lines and reports the line it starts on', () => {
    const text = 'const a = 1;\nconst q = `SELECT id\n  FROM movies`;\n';
    expect(findLines(text, sqlPatterns[0]!)).toEqual([2]);
    expect(findLines('no sql here\nselect nothing', sqlPatterns[0]!)).toEqual([]);
  });

  it('has no SQL text outside src/db and store files', () => {
    const found = offenders((file, text) => {
      if (inDb(file) || isStore(file)) return [];
      const lines = new Set<number>();
      for (const pattern of sqlPatterns) for (const line of findLines(text, pattern)) lines.add(line);
      return [...lines].sort((a, b) => a - b);
    });
    expect(found, `SQL outside src/db and *-store.ts / *-storage.ts:\n${found.join('\n')}`).toEqual([]);
  });

  it('has no dialect branch outside src/db', () => {
    const found = offenders((file, text) => (inDb(file) ? [] : findLines(text, dialectBranch)));
    expect(found, `dialect branches outside src/db:\n${found.join('\n')}`).toEqual([]);
  });
});
