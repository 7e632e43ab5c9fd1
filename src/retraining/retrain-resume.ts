import { getRunningAbTest } from '../experiments/ab-tests.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { OfflineComparison } from './offline-comparison.ts';
import type { ParamsSource } from './retrain-options.ts';
import { type DeployOutcome, readChampion } from './retrain-registry.ts';
import { deployStep, type RetrainContext, runStep } from './retrain-steps.ts';
import { endStep, listSteps } from './retrain-triggers.ts';

/** What an earlier attempt at the same trigger left: a registered version and how it was judged. */
export interface RegisteredEarlier {
  readonly version: number;
  readonly comparison: OfflineComparison;
  readonly model: string | null;
  readonly params: ModelParams | null;
  readonly paramsSource: ParamsSource | null;
  readonly trainRows: number;
}

/**
 * The version an earlier attempt at this trigger registered, when it died before its deploy step
 * ended (its steps up to `register` are recorded done, with their details); null when it died
 * earlier, and the trigger is then run again from its first step.
 */
export async function registeredEarlier(ctx: RetrainContext): Promise<RegisteredEarlier | null> {
  const steps = await listSteps(ctx.db, ctx.triggerId);
  const done = (name: string) => steps.find((s) => s.step === name && s.status === 'done')?.details;
  const register = done('register');
  const compare = done('compare');
  const fit = done('fit');
  if (!register || !compare || !fit || done('deploy')) return null;
  if (typeof register.version !== 'number') return null;
  return {
    version: register.version,
    comparison: compare as unknown as OfflineComparison,
    model: typeof fit.model === 'string' ? fit.model : null,
    params: (fit.params ?? null) as ModelParams | null,
    paramsSource: (fit.paramsSource ?? null) as ParamsSource | null,
    trainRows: typeof fit.trainRows === 'number' ? fit.trainRows : 0,
  };
}

/**
 * Finishes a trigger whose earlier attempt registered its version and then died: the fitting is
 * not done again (that would register a second version for one trigger). If that attempt's deploy
 * had already taken effect (the version is champion, or the running A/B test's challenger), that
 * is recorded as the deploy; otherwise the deploy step runs now on the recorded comparison.
 */
export async function resumeAtDeploy(ctx: RetrainContext, earlier: RegisteredEarlier): Promise<string> {
  Object.assign(ctx.progress, {
    model: earlier.model,
    params: earlier.params,
    paramsSource: earlier.paramsSource,
    trainRows: earlier.trainRows,
    comparison: earlier.comparison,
    newVersion: earlier.version,
  });
  const champion = await readChampion(ctx.db);
  const test = await getRunningAbTest(ctx.db);
  const v = earlier.version;
  let deploy: DeployOutcome;
  if (champion?.version === v || test?.challengerVersion === v) {
    deploy =
      champion?.version === v
        ? { action: 'activated', version: v, abTestId: null, summary: `v${v} activated` }
        : {
            action: 'ab-test',
            version: v,
            abTestId: test!.id,
            summary: `A/B test #${test!.id} started: v${v} (challenger) against v${test!.championVersion}`,
          };
    await endStep(ctx.db, ctx.triggerId, 'deploy', 'done', { ...deploy, resumed: true }, ctx.clock());
  } else {
    deploy = await runStep(ctx, 'deploy', () => deployStep(ctx, champion, earlier.comparison));
  }
  ctx.progress.deploy = deploy;
  return `${deploy.summary} (resumed after the earlier attempt registered v${v})`;
}
