import ts from 'typescript';
import { librarySources, lineOf, parse, projectRoot } from './source-files.ts';

/** Longest function, in lines, that needs no reason in its header comment. */
export const maxFunctionLines = 60;
/** Longest file, in lines, that needs no reason in its header comment. */
export const maxFileLines = 400;
/** The words a header comment uses to justify a long function or file. */
export const reasonWords = 'is long because';

/** A function or file over its limit without a reason. */
export interface LongCode {
  readonly file: string;
  readonly line: number;
  /** The function's name, or null for the file itself. */
  readonly name: string | null;
  readonly lines: number;
}

function commentsBefore(file: ts.SourceFile, node: ts.Node): string {
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  return ranges.map((r) => file.text.slice(r.pos, r.end)).join('\n');
}

/** The node whose leading comment is a function's header: its statement, property or itself. */
function headerHolder(node: ts.Node): ts.Node {
  let n: ts.Node = node;
  while (
    n.parent &&
    (ts.isVariableDeclaration(n.parent) ||
      ts.isVariableDeclarationList(n.parent) ||
      ts.isVariableStatement(n.parent) ||
      ts.isPropertyAssignment(n.parent) ||
      ts.isPropertyDeclaration(n.parent) ||
      ts.isExportAssignment(n.parent) ||
      ts.isParenthesizedExpression(n.parent) ||
      ts.isAsExpression(n.parent) ||
      ts.isSatisfiesExpression(n.parent))
  ) {
    n = n.parent;
  }
  return n;
}

/** A function's name: its own, or the variable or property it is assigned to; null if anonymous. */
function nameOf(node: ts.FunctionLikeDeclaration): string | null {
  if (node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name))) return node.name.text;
  if (node.name && ts.isStringLiteral(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (
    p &&
    (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) &&
    ts.isIdentifier(p.name)
  ) {
    return p.name.text;
  }
  return null;
}

function isNamedFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && nameOf(node) !== null)
  );
}

/** Functions over `maxFunctionLines` in one file whose header comment gives no reason. */
export function longFunctionsIn(file: ts.SourceFile): LongCode[] {
  const out: LongCode[] = [];
  const visit = (node: ts.Node): void => {
    if (isNamedFunction(node) && node.body) {
      const start = lineOf(file, node.getStart(file));
      const lines = lineOf(file, node.getEnd()) - start + 1;
      if (lines > maxFunctionLines && !commentsBefore(file, headerHolder(node)).includes(reasonWords)) {
        out.push({ file: file.fileName, line: start, name: nameOf(node), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/**
 * A file's header comment: the comments before its first statement, plus those before its first
 * statement that is not an import (files usually open with their imports).
 */
function fileHeader(file: ts.SourceFile): string {
  const first = file.statements[0];
  const firstCode = file.statements.find((s) => !ts.isImportDeclaration(s));
  return [first, firstCode]
    .filter((s): s is ts.Statement => s !== undefined)
    .map((s) => commentsBefore(file, s))
    .join('\n');
}

/** Every function and file of the library over its limit without a reason, longest first. */
export function longCode(root: string = projectRoot): LongCode[] {
  const out: LongCode[] = [];
  for (const path of librarySources(root)) {
    const file = parse(root, path);
    const lines = file.getLineStarts().length;
    if (lines > maxFileLines && !fileHeader(file).includes(reasonWords)) {
      out.push({ file: path, line: 1, name: null, lines });
    }
    out.push(...longFunctionsIn(file));
  }
  return out.sort((a, b) => b.lines - a.lines);
}

/** `file:line name (N lines)`, the form the tests print. */
export function describeLongCode(c: LongCode): string {
  return `${c.file}:${c.line} ${c.name ?? '(file)'} (${c.lines} lines)`;
}
