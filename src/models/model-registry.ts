import { z } from 'zod';
import { ArtifactError, InvalidInputError } from '../errors.ts';
import { BaselineModel, baselineParamSpecs } from './baseline-model.ts';
import { BlendModel, blendParamSpecs } from './blend-model.ts';
import { GenrePopularityModel, genrePopularityParamSpecs } from './genre-popularity-model.ts';
import { ImplicitAlsModel, implicitAlsParamSpecs } from './implicit-als-model.ts';
import { KnnBaselineModel, knnBaselineParamSpecs } from './knn-baseline-model.ts';
import { decodeModel, type ModelArtifact } from './model-format.ts';
import { PopularityModel, popularityParamSpecs } from './popularity-model.ts';
import type { ModelParams, RatingModel } from './rating-model.ts';
import { type ParamSpecs, type ParamsOf, resolveParams } from './rating-model-base.ts';
import { SvdModel, svdParamSpecs, svdppParamSpecs } from './svd-model.ts';
import { SvdppModel } from './svdpp-model.ts';

/** A model that can also be restored from a decoded artifact (every RatingModelBase can). */
export interface RestorableModel extends RatingModel {
  restore(artifact: ModelArtifact): void;
}

/** One registry entry: what the model is, its parameters, and how to build one. */
export interface ModelEntry {
  readonly description: string;
  readonly params: ParamSpecs;
  /** Receives the resolved (complete, checked) parameters. */
  readonly create: (params: ModelParams) => RestorableModel;
}

/**
 * The explicit name → entry map. Adding a model = one file in this folder + one line here;
 * nothing registers itself on import.
 */
const entries = {
  baseline: {
    description: 'Global mean plus user and movie biases (ALS or SGD); fast, and the fallback of the others.',
    params: baselineParamSpecs,
    create: (params) => new BaselineModel(params),
  },
  svd: {
    description:
      'Biased matrix factorisation by SGD (Funk/Koren, Surprise SVD defaults); WebAssembly SIMD kernel.',
    params: svdParamSpecs,
    create: (params) => new SvdModel(params),
  },
  svdpp: {
    description:
      'SVD++: SVD plus implicit feedback (which movies a user rated); exact per-user batched y update, WebAssembly SIMD.',
    params: svdppParamSpecs,
    create: (params) => new SvdppModel(params),
  },
  popularity: {
    description:
      'Ranks movies by how often they were rated; the yardstick for ranking models and a cold-start answer.',
    params: popularityParamSpecs,
    create: (params) => new PopularityModel(params),
  },
  'knn-baseline': {
    description:
      'Item-based k-NN on baseline residuals with shrunk Pearson similarity (Surprise KNNBaseline); accurate, slower to predict.',
    params: knnBaselineParamSpecs,
    create: (params) => new KnnBaselineModel(params),
  },
  'implicit-als': {
    description:
      'Ranking model: weighted ALS on implicit feedback (which movies a user rates), for top-N quality rather than rating accuracy.',
    params: implicitAlsParamSpecs,
    create: (params) => new ImplicitAlsModel(params),
  },
  'genre-popularity': {
    description:
      'Cold start: biases plus each user’s genre tastes; places movies nobody rated by their genres, new users get well-rated popular movies.',
    params: genrePopularityParamSpecs,
    create: (params) => new GenrePopularityModel(params),
  },
  blend: {
    description:
      'Several models combined with least-squares (ridge) weights fitted on held-out training ratings; the most accurate.',
    params: blendParamSpecs,
    create: (params): RestorableModel => new BlendModel(params, { createModel, loadModel, modelKinds }),
  },
} satisfies Record<string, ModelEntry>;

/** The same map, looked up by a name read at run time (CLI, HTTP, an artifact). */
const byName: Readonly<Record<string, ModelEntry>> = entries;

/**
 * A model kind as input (a flag, a request field): one of the registry's names. The HTTP routes
 * and the CLI flags that take a kind share it, so both refuse an unknown kind with one message.
 */
export const modelKindInput = z.string().refine((kind) => Object.hasOwn(byName, kind), {
  message: `must be one of ${Object.keys(entries).join(', ')}`,
});

/** The registry's model names. */
export type ModelKind = keyof typeof entries;

/**
 * Each kind's parameters, typed from its specs: `createModel('svd', { n_factors: 50 })` compiles,
 * `createModel('svd', { n_factor: 50 })` does not.
 */
export type ModelParamsByKind = { readonly [K in ModelKind]: ParamsOf<(typeof entries)[K]['params']> };

/**
 * The parameters `createModel(kind, …)` accepts: typed for a known kind written in the code, any
 * flat record for a name only known at run time (still checked when the model is built).
 */
export type ModelParamsFor<K extends string> = K extends ModelKind ? ModelParamsByKind[K] : ModelParams;

function entryOf(kind: string): ModelEntry {
  if (!Object.hasOwn(byName, kind)) {
    throw new InvalidInputError(`unknown model "${kind}" (known: ${modelKinds().join(', ')})`);
  }
  return byName[kind]!;
}

/** Registry names, in registration order. */
export function modelKinds(): string[] {
  return Object.keys(entries);
}

/**
 * A fresh, unfitted model; unknown kind or a bad parameter throws InvalidInputError naming it. The
 * parameters are typed by kind when the kind is a literal (see `ModelParamsFor`).
 */
export function createModel<K extends string>(kind: K, params?: ModelParamsFor<K>): RatingModel {
  const entry = entryOf(kind);
  return entry.create(resolveParams(kind, entry.params, params as ModelParams | undefined));
}

export interface ModelDescription {
  readonly kind: string;
  readonly description: string;
  /** Every parameter with its default (inherited ones resolved). */
  readonly defaultParams: ModelParams;
  readonly paramDocs: Readonly<Record<string, string>>;
  /** The full specs: bounds, choices, integer-ness (a tuner's search space starts here). */
  readonly paramSpecs: ParamSpecs;
}

export function modelDescription(kind: string): ModelDescription {
  const entry = entryOf(kind);
  return {
    kind,
    description: entry.description,
    defaultParams: resolveParams(kind, entry.params),
    paramDocs: Object.fromEntries(Object.entries(entry.params).map(([k, s]) => [k, s.doc])),
    paramSpecs: entry.params,
  };
}

/**
 * A model from saved bytes (`model.save()`); a damaged artifact, another format version, an unknown
 * kind or parameters this version rejects throw ArtifactError saying which.
 */
export function loadModel(bytes: Uint8Array): RatingModel {
  const artifact = decodeModel(bytes);
  if (!Object.hasOwn(byName, artifact.kind)) {
    throw new ArtifactError(
      `model artifact holds a "${artifact.kind}" model, which this MovieNight does not know (known: ${modelKinds().join(', ')})`,
    );
  }
  const entry = byName[artifact.kind]!;
  let params: ModelParams;
  try {
    params = resolveParams(artifact.kind, entry.params, artifact.params);
  } catch (e) {
    // The bytes are intact but were written with parameters this version does not accept.
    throw new ArtifactError(`model artifact has parameters this MovieNight rejects: ${(e as Error).message}`);
  }
  const model = entry.create(params);
  model.restore(artifact);
  return model;
}
