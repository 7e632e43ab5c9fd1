import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { describeLongCode, longCode, longFunctionsIn, maxFileLines, maxFunctionLines } from './long-code.ts';

const body = (n: number): string => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
const sample = (text: string): ts.SourceFile =>
  ts.createSourceFile('sample.ts', text, ts.ScriptTarget.Latest, true);

describe(`functions over ${maxFunctionLines} lines and files over ${maxFileLines} give a reason`, () => {
  it('finds a long function, a long arrow function and a long method, but not a justified one', () => {
    const found = longFunctionsIn(
      sample(
        `function plain() {\n${body(70)}\n}\n` +
          `/** Parses it; it is long because the grammar is one table. */\nfunction why() {\n${body(70)}\n}\n` +
          `export const arrow = () => {\n${body(70)}\n};\n` +
          `class K {\n  method() {\n${body(70)}\n  }\n}\n` +
          `function short() {\n${body(5)}\n}\n`,
      ),
    );
    expect(found.map((f) => [f.name, f.lines])).toEqual([
      ['plain', 72],
      ['arrow', 72],
      ['method', 72],
    ]);
  });

  it('src/ has none without a reason in its header comment', () => {
    const offenders = longCode().map(describeLongCode);
    if (offenders.length > 0) console.log(`long code without a reason:\n${offenders.join('\n')}`);
    expect(offenders).toEqual([]);
  });
});
