import type { ModelParams } from '../../models/rating-model.ts';
import { deriveSeed, Rng } from '../../random/rng.ts';
import { type SampleContext, type Sampler, takenKeys } from '../sampler.ts';
import { paramsKey, sampleUniform } from '../search-space.ts';

/**
 * Independent uniform draws (on the log scale where declared). Trial n draws from a stream seeded
 * by (seed, n), so a resumed or parallel run proposes exactly what a straight run would. A draw
 * equal to an existing trial (possible with ints and categoricals) is redrawn a few times.
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';

  sample(context: SampleContext): ModelParams {
    const rng = new Rng(deriveSeed(context.seed, `random:${context.number}`));
    const seen = takenKeys(context.trials);
    let params = sampleUniform(context.space, rng);
    for (let attempt = 0; attempt < 20 && seen.has(paramsKey(params)); attempt++) {
      params = sampleUniform(context.space, rng);
    }
    return params;
  }
}
