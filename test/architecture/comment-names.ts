import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { listFiles, projectRoot } from './source-files.ts';

/**
 * What a comment must not say: who wrote something (a person or a working session), which work item
 * asked for it, or what the original code did. Comments say what the code does and why; the
 * history lives in version control. A single capital letter with an apostrophe-s was how
 * people were named; lower-case ones (`u's ratings`) are maths and pass.
 */
export const namingPatterns: readonly RegExp[] = [
  /\b(engineers?|helpers?|developers?) [A-Z]\b/,
  /(?<![\w.-])[A-Z]['’]s\b/,
  /\b(issues?|tickets?) #?\d+/i,
  /\btickets?\b/i,
  /\bthe issue\b/i,
  /\bsession \d+\b/i,
  /\b(previous|earlier|later|last|this) (working )?session\b/i,
  /\bthe seed['’]s\b/i,
];

/** One comment line that names a person, a session or a work item. */
export interface NamingComment {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Every comment of a TypeScript file with the line it starts on. */
export function commentsOf(path: string, text: string): Array<{ line: number; text: string }> {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const seen = new Set<number>();
  const out: Array<{ line: number; text: string }> = [];
  const take = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      out.push({ line: file.getLineAndCharacterOfPosition(r.pos).line + 1, text: text.slice(r.pos, r.end) });
    }
  };
  const visit = (node: ts.Node): void => {
    take(ts.getLeadingCommentRanges(text, node.getFullStart()));
    take(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(file)) visit(child);
  };
  visit(file);
  return out.sort((a, b) => a.line - b.line);
}

function offendingLines(file: string, firstLine: number, text: string): NamingComment[] {
  return text
    .split('\n')
    .flatMap((line, i) =>
      namingPatterns.some((p) => p.test(line)) ? [{ file, line: firstLine + i, text: line.trim() }] : [],
    );
}

/** Where comments (and docs, which are all prose) name a person, a session or a work item. */
export function namingComments(root: string = projectRoot): NamingComment[] {
  const out: NamingComment[] = [];
  const code = ['src', 'test', 'bench', 'web/src'].flatMap((dir) =>
    listFiles(root, dir, (n) => /\.(ts|tsx|js|mjs)$/.test(n) && !n.endsWith('.generated.ts')),
  );
  for (const file of code) {
    for (const c of commentsOf(file, readFileSync(join(root, file), 'utf8'))) {
      out.push(...offendingLines(file, c.line, c.text));
    }
  }
  const docs = listFiles(root, 'docs', (n) => n.endsWith('.md')).filter((f) => f !== 'docs/seed-map.md');
  for (const file of docs) out.push(...offendingLines(file, 1, readFileSync(join(root, file), 'utf8')));
  return out;
}
