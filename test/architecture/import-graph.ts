import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { librarySources, projectRoot } from './source-files.ts';

/**
 * The intended order of `src/` folders, bottom first: a folder may import from its own rank or
 * below, never above. Rank 0 holds helpers that know nothing of the product (errors, config, the
 * seeded generator, worker-thread plumbing, SVG charts). Folders of one rank may import each
 * other, but the folder graph must still have no cycle. `docs/architecture.md` shows the same list.
 */
export const layerOrder: ReadonlyArray<readonly string[]> = [
  ['errors.ts', 'config.ts', 'input-schemas.ts', 'random', 'threads', 'charts'],
  ['db', 'queue'],
  ['data'],
  ['models'],
  ['metrics', 'evaluation'],
  ['registry', 'experiments'],
  ['tuning'],
  ['recommend'],
  ['monitoring'],
  ['retraining'],
  ['reports'],
  ['simulation'],
  ['server', 'cli', 'index.ts'],
];

/** One import of one file into another folder of `src/`. */
export interface FolderEdge {
  readonly from: string;
  readonly to: string;
  readonly file: string;
  readonly line: number;
}

/** The top-level part of `src/` a path is in: a folder name, or a file name such as `errors.ts`. */
export function folderOf(srcPath: string): string {
  return srcPath.slice('src/'.length).split('/')[0]!;
}

/** Every import (static, re-export, dynamic) between different `src/` folders, in file order. */
export function folderEdges(root: string = projectRoot): FolderEdge[] {
  const edges: FolderEdge[] = [];
  for (const file of librarySources(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = normalize(join(dirname(file), imported.fileName));
      if (!target.startsWith('src/')) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to) continue;
      const line = text.slice(0, imported.pos).split('\n').length;
      edges.push({ from, to, file, line });
    }
  }
  return edges;
}

/** Rank of a folder in `layerOrder`, or undefined for a folder the order does not place. */
export function rankOf(folder: string): number | undefined {
  const i = layerOrder.findIndex((layer) => layer.includes(folder));
  return i < 0 ? undefined : i;
}

/** Edges from a lower rank to a higher one, or touching a folder the order does not place. */
export function upwardEdges(edges: readonly FolderEdge[]): FolderEdge[] {
  return edges.filter((e) => {
    const from = rankOf(e.from);
    const to = rankOf(e.to);
    return from === undefined || to === undefined || to > from;
  });
}

/** The folder cycles (strongly connected groups of two or more folders), each sorted. */
export function folderCycles(edges: readonly FolderEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  const reach = (start: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      for (const n of next.get(stack.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return seen;
  };
  const reachable = new Map([...next.keys()].map((k) => [k, reach(k)]));
  const groups = new Map<string, string[]>();
  for (const [a, fromA] of reachable) {
    const group = [...fromA].filter((b) => reachable.get(b)?.has(a)).sort();
    if (group.length >= 2) groups.set(group.join(','), group);
  }
  return [...groups.values()];
}

/** The edges that close a cycle: both ends in the same cycle. */
export function cycleEdges(edges: readonly FolderEdge[]): FolderEdge[] {
  const cycles = folderCycles(edges);
  return edges.filter((e) => cycles.some((c) => c.includes(e.from) && c.includes(e.to)));
}

/** `from → to (file:line)`, the form the tests print. */
export function describeEdge(e: FolderEdge): string {
  return `${e.from} → ${e.to} (${e.file}:${e.line})`;
}
