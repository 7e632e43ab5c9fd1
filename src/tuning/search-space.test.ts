import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelKinds } from '../models/model-registry.ts';
import { Rng } from '../random/rng.ts';
import { defaultSearchSpace } from './default-spaces.ts';
import { defaultTrialParams } from './run-tuning.ts';
import { valuesAround } from './samplers/grid-sampler.ts';
import {
  decodeValue,
  encodeValue,
  isInSpace,
  parseSearchSpace,
  readSearchSpace,
  sampleUniform,
} from './search-space.ts';

const dir = mkdtempSync(join(tmpdir(), 'movienight-space-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// This suite is long because it holds one case per behaviour.
describe('search spaces', () => {
  it('encodes log ranges on the logarithm and decodes ints and categoricals to valid values', () => {
    const lr = { type: 'float', low: 0.001, high: 0.1, log: true } as const;
    expect(encodeValue(lr, 0.01)).toBeCloseTo(0.5, 10);
    expect(decodeValue(lr, 0.5)).toBeCloseTo(0.01, 8);
    const k = { type: 'int', low: 1, high: 10 } as const;
    expect(decodeValue(k, 0.52)).toBe(6);
    const c = { type: 'categorical', choices: ['a', 'b', 'c'] } as const;
    expect(decodeValue(c, 0.9)).toBe('c');
    expect(encodeValue(c, 'b')).toBe(0.5);
  });

  it('draws uniformly on the log scale', () => {
    const space = { params: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } as const } };
    const rng = new Rng(4);
    const below = Array.from({ length: 2000 }, () => Number(sampleUniform(space, rng).lr)).filter(
      (v) => v < 0.01,
    );
    // Half the draws fall in the first decade of two.
    expect(below.length).toBeGreaterThan(900);
    expect(below.length).toBeLessThan(1100);
  });

  it('grid values around a centre: three distinct values, moved inward at the edges', () => {
    const lr = { type: 'float', low: 0.001, high: 0.1, log: true } as const;
    expect(valuesAround(lr, 0.01)).toHaveLength(3);
    const atEdge = valuesAround(lr, 0.1);
    expect(atEdge).toHaveLength(3);
    expect(atEdge.every((v) => isInSpace(lr, v))).toBe(true);
    expect(valuesAround({ type: 'int', low: 1, high: 3 }, 1)).toEqual([1, 2, 3]);
  });

  it('reads a JSON file and names the field at fault', () => {
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        model: 'svd',
        params: { lr_all: { type: 'float', low: 0.001, high: 0.1, log: true } },
        grid: { n_factors: [10, 20] },
      }),
    );
    const space = readSearchSpace(good);
    expect(space.model).toBe('svd');
    expect(space.params.n_factors).toEqual({ type: 'categorical', choices: [10, 20] });

    const cases: Array<[unknown, RegExp]> = [
      [
        { params: { lr: { type: 'float', low: 0, high: 1, log: true } } },
        /params\.lr\.low: a log-scaled range must have low > 0/,
      ],
      [{ params: { lr: { type: 'float', low: 2, high: 1 } } }, /params\.lr\.high: high must be ≥ low/],
      [{ params: { k: { type: 'int', low: 1.5, high: 4 } } }, /params\.k\.low/],
      [{ params: { k: { type: 'wide', low: 1, high: 4 } } }, /params\.k/],
      [{ params: {}, extra: 1 }, /extra|Unrecognized/],
      [
        { params: { k: { type: 'int', low: 1, high: 4 } }, grid: { k: [9] } },
        /grid\.k\.0: 9 is outside params\.k/,
      ],
    ];
    for (const [input, message] of cases) expect(() => parseSearchSpace(input, 'f.json')).toThrow(message);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ nope');
    expect(() => readSearchSpace(broken)).toThrow(/broken\.json is not valid JSON/);
    expect(() => readSearchSpace(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });

  it('has a default space for every registered model, and the curated ones contain the model defaults', () => {
    for (const kind of modelKinds()) {
      let space: ReturnType<typeof defaultSearchSpace> | null = null;
      try {
        space = defaultSearchSpace(kind);
      } catch (error) {
        // Only a model with no numeric or categorical parameter may lack one, and it must say so.
        expect((error as Error).message).toMatch(/no tunable parameters/);
        continue;
      }
      expect(Object.keys(space.params).length, kind).toBeGreaterThan(0);
    }
    for (const kind of ['svd', 'svdpp', 'baseline', 'knn-baseline']) {
      expect(defaultTrialParams(defaultSearchSpace(kind), kind), kind).not.toBeNull();
    }
  });
});
