import { describe, expect, it } from 'vitest';
import { idMarks } from './id-marks.ts';

describe('idMarks', () => {
  for (const [label, ids] of [
    ['small ids (a byte per id)', Int32Array.from([3, 7, 0, 12])],
    ['ids too large for bytes (a Set)', Int32Array.from([3, 2 ** 25, 7])],
    ['negative ids (a Set)', Int32Array.from([-4, 3, 7])],
  ] as const) {
    it(`holds what was added and nothing else: ${label}`, () => {
      const marks = idMarks(ids);
      marks.add(3);
      marks.add(7);
      expect([3, 7].map((id) => marks.has(id))).toEqual([true, true]);
      expect([0, 12, -4, 2 ** 25, 99, -1].map((id) => marks.has(id))).toEqual([
        false,
        false,
        false,
        false,
        false,
        false,
      ]);
    });
  }
});
