import { describe, expect, it } from 'vitest';
import { commentsOf, namingComments, namingPatterns } from './comment-names.ts';

const names = (line: string): boolean => namingPatterns.some((p) => p.test(line));

describe('comments name no person, session or ticket', () => {
  it('tells names from maths and ordinary words', () => {
    for (const bad of [
      "engineer D's code",
      "C's tuner",
      'see issue 6',
      'the seed’s X',
      'as the issue allows',
    ]) {
      expect(names(bad), bad).toBe(true);
    }
    for (const fine of ["u's ratings", 'a user session expires', 'issues show', "the movie's genres"]) {
      expect(names(fine), fine).toBe(false);
    }
  });

  it('reads comments, not strings', () => {
    const text = "const s = 'engineer D';\n// what it does\n/* engineer E */\n";
    expect(commentsOf('x.ts', text).map((c) => c.line)).toEqual([2, 3]);
  });

  it('src/, test/, bench/, web/src and docs/ have none', () => {
    const found = namingComments().map((c) => `${c.file}:${c.line} ${c.text}`);
    if (found.length > 0) console.log(`comments that name people, sessions or tickets:\n${found.join('\n')}`);
    expect(found).toEqual([]);
  });
});
