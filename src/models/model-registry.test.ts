import { expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { createModel, modelDescription, modelKinds } from './model-registry.ts';

it('lists kinds and describes each with complete defaults and docs', () => {
  expect(modelKinds()).toContain('baseline');
  for (const kind of modelKinds()) {
    const d = modelDescription(kind);
    expect(d.description.length).toBeGreaterThan(10);
    expect(Object.keys(d.paramDocs).sort()).toEqual(Object.keys(d.defaultParams).sort());
    expect(createModel(kind).params).toEqual(d.defaultParams);
  }
  expect(modelDescription('baseline').defaultParams).toMatchObject({
    method: 'als',
    n_epochs: 10,
    reg_u: 15,
    reg_i: 10,
  });
});

it('names the unknown kind or the bad parameter', () => {
  expect(() => createModel('nope')).toThrow(InvalidInputError);
  expect(() => createModel('nope')).toThrow(/unknown model "nope" \(known: .*baseline/);
  expect(() => createModel('baseline', { reg_x: 1 })).toThrow(/unknown parameter "reg_x" for model baseline/);
  expect(() => createModel('baseline', { n_epochs: 2.5 })).toThrow(
    /"n_epochs" of model baseline must be an integer/,
  );
  expect(() => createModel('baseline', { n_epochs: '3' })).toThrow(/"n_epochs".*must be a number/);
  expect(() => createModel('baseline', { method: 'magic' })).toThrow(/"method".*one of als, sgd/);
  expect(() => createModel('baseline', { learning_rate: 0 })).toThrow(/"learning_rate".*> 0/);
  expect(() => createModel('baseline', { reg_u: -1 })).toThrow(/"reg_u".*≥ 0/);
});
