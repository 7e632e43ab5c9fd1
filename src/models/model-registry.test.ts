import { expect, it } from 'vitest';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { decodeModel, encodeModel } from './model-format.ts';
import { createModel, loadModel, modelDescription, modelKinds } from './model-registry.ts';

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

it('names the unknown kind or the bad parameter read at run time', () => {
  // A kind only known at run time (a CLI flag, a request) takes any flat record, checked here.
  const baseline: string = 'baseline';
  expect(() => createModel('nope')).toThrow(InvalidInputError);
  expect(() => createModel('nope')).toThrow(/unknown model "nope" \(known: .*baseline/);
  expect(() => createModel(baseline, { reg_x: 1 })).toThrow(/unknown parameter "reg_x" for model baseline/);
  expect(() => createModel('baseline', { n_epochs: 2.5 })).toThrow(
    /"n_epochs" of model baseline must be an integer/,
  );
  expect(() => createModel(baseline, { n_epochs: '3' })).toThrow(/"n_epochs".*must be a number/);
  expect(() => createModel(baseline, { method: 'magic' })).toThrow(/"method".*one of als, sgd/);
  expect(() => createModel('baseline', { learning_rate: 0 })).toThrow(/"learning_rate".*> 0/);
  expect(() => createModel('baseline', { reg_u: -1 })).toThrow(/"reg_u".*≥ 0/);
});

it('types the parameters of a kind written in the code', () => {
  // @ts-expect-error a misspelt parameter name does not compile
  expect(() => createModel('svd', { n_factor: 5 })).toThrow(/unknown parameter "n_factor"/);
  // @ts-expect-error a choice outside the spec's choices does not compile
  expect(() => createModel('svd', { engine: 'gpu' })).toThrow(/"engine".*one of wasm, js/);
  // @ts-expect-error a string where a number belongs does not compile
  expect(() => createModel('knn-baseline', { k: '40' })).toThrow(/must be a number/);
  expect(createModel('svd', { n_factors: 5, biased: false, engine: 'js' }).params).toMatchObject({
    n_factors: 5,
  });
});

it('refuses artifacts of an unknown kind or with parameters it rejects, as ArtifactError', () => {
  const m = createModel('baseline');
  m.fit({
    size: 2,
    users: new Int32Array([1, 2]),
    movies: new Int32Array([5, 5]),
    ratings: new Float32Array([3, 4]),
    timestamps: new Float64Array(2),
    scale: { min: 0.5, max: 5, step: 0.5 },
  });
  const artifact = decodeModel(m.save());
  expect(() => loadModel(encodeModel({ ...artifact, kind: 'future-model' }))).toThrow(ArtifactError);
  expect(() => loadModel(encodeModel({ ...artifact, kind: 'future-model' }))).toThrow(/"future-model"/);
  const odd = encodeModel({ ...artifact, params: { ...artifact.params, n_epochs: -3 } });
  expect(() => loadModel(odd)).toThrow(/parameters this MovieNight rejects: parameter "n_epochs"/);
  expect(loadModel(m.save()).predict(1, 5)).toEqual(m.predict(1, 5));
});
