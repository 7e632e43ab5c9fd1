import {
  type DriftDetectorKind,
  type DriftDetectorSettings,
  detectDrift,
  driftDetectorKinds,
} from '../src/monitoring/drift-detector.ts';
import { Rng } from '../src/random/rng.ts';
import { parseSeedList, type SeedRow, simulateSeeds } from '../src/simulation/seed-table.ts';
import type { SimulationOptions } from '../src/simulation/simulate.ts';
import { median } from './measure.ts';
import type { Benchmark } from './run.ts';

/** Tracked outcomes a day in the default simulation (the champion's share of ~1 500 a day). */
const perDay = 1500;

const settings = (kind: DriftDetectorKind): DriftDetectorSettings => ({
  kind,
  threshold: 50,
  allowance: 0.05,
  adwinDelta: 0.002,
  minDrop: 0.1,
  minSamples: kind === 'cusum' ? 500 : 100,
});

/** A seeded stream of outcomes whose accuracy on day t (fractional) is level(t). */
function stream(seed: number, days: number, level: (day: number) => number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(Math.round(days * perDay));
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < level(i / perDay) ? 1 : 0;
  return out;
}

/** Outcomes after `changeAt` until the detector, re-run every tenth of a day as checks would, fires. */
function delay(hits: Uint8Array, changeAt: number, s: DriftDetectorSettings): number | null {
  for (let end = changeAt + perDay / 10; end <= hits.length; end += perDay / 10) {
    if (detectDrift(hits.subarray(0, end), s).fired) return end - changeAt;
  }
  return null;
}

/** The comparison of docs/retraining.md: delays after falls and false alarms on steady streams. */
function compareDetectors(runs: number): void {
  const slide = (t: number) => 0.88 - 0.007 * t;
  const falls: ReadonlyArray<[string, (t: number) => number]> = [
    ['fall 85 → 45 % at once', (t) => (t < 5 ? slide(t) : 0.45)],
    ['fall of 12 points at once', (t) => (t < 5 ? slide(t) : slide(t) - 0.12)],
    ['fall of 40 points over 10 days', (t) => (t < 5 ? slide(t) : slide(t) - 0.04 * Math.min(10, t - 5))],
  ];
  console.log(
    `detector       scenario (${runs} seeded streams, ${perDay} outcomes a day)   median / max days to alarm, missed`,
  );
  for (const kind of driftDetectorKinds) {
    const s = settings(kind);
    for (const [name, level] of falls) {
      const ds: number[] = [];
      let missed = 0;
      for (let seed = 1; seed <= runs; seed++) {
        const d = delay(stream(seed, 15, level), 5 * perDay, s);
        if (d === null) missed += 1;
        else ds.push(d / perDay);
      }
      console.log(
        `${kind.padEnd(13)}  ${name.padEnd(44)}  ${ds.length ? median(ds).toFixed(2) : '–'} / ${ds.length ? Math.max(...ds).toFixed(2) : '–'}  ${missed}`,
      );
    }
    let flat = 0;
    let sliding = 0;
    let raw = 0;
    const anyFall = { ...s, minDrop: 1e-9 };
    for (let seed = 1; seed <= 4 * runs; seed++) {
      const steady = stream(1000 + seed, 30, () => 0.85);
      if (detectDrift(steady, s).fired) flat += 1;
      if (detectDrift(steady, anyFall).fired) raw += 1;
      if (detectDrift(stream(2000 + seed, 10, slide), s).fired) sliding += 1;
    }
    console.log(
      `${kind.padEnd(13)}  false alarms: ${flat}/${4 * runs} steady 30-day streams at 85 %, ${sliding}/${4 * runs} 10-day streams sliding 0.7 points a day; alarms of any size (no minDrop) on the steady streams: ${raw}/${4 * runs}`,
    );
  }
}

function summariseRows(name: string, rows: readonly SeedRow[], driftDay: number): void {
  const delays = rows.filter((r) => r.firstTriggerDay !== null).map((r) => r.firstTriggerDay! - driftDay);
  const gaps = rows.map((r) => r.recoveryGapPoints ?? Number.NaN);
  console.log(
    `${name}: ${delays.length} of ${rows.length} seeds trigger; days from drift to first trigger median ${delays.length ? median(delays) : '–'}, max ${delays.length ? Math.max(...delays) : '–'}; last-5-day gap vs pre-drift min ${Math.min(...gaps).toFixed(1)}, max ${Math.max(...gaps).toFixed(1)} points; ${rows.filter((r) => (r.recoveryGapPoints ?? -99) >= -2).length} within 2 points; champion back within 2 points on day ${rows.map((r) => r.recoveryDay ?? '–').join(', ')}; automatic triggers per seed max ${Math.max(...rows.map((r) => r.triggers))}; activations worse in truth ${rows.reduce((a, r) => a + r.worseActivations, 0)}`,
  );
}

async function scenario(
  name: string,
  seeds: readonly number[],
  options: Partial<Omit<SimulationOptions, 'seed' | 'location'>>,
): Promise<void> {
  console.log(`\n${name} (${JSON.stringify(options)})`);
  console.log(
    'seed  pre %   low %   end %    gap  trigger day  activation day  back day  triggers t/d/r  worse  s',
  );
  const rows = await simulateSeeds(seeds, options, (r) => {
    const p = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(1)).padStart(6);
    console.log(
      `${String(r.seed).padStart(4)}  ${p(r.preDriftAccuracy)}  ${p(r.lowestAfterDrift)}  ${p(r.finalAccuracy)}  ${(r.recoveryGapPoints ?? 0).toFixed(1).padStart(5)}  ${String(r.firstTriggerDay ?? '–').padStart(11)}  ${String(r.firstActivationDay ?? '–').padStart(14)}  ${String(r.recoveryDay ?? '–').padStart(8)}  ${`${r.triggersByRule.threshold}/${r.triggersByRule.drift}/${r.triggersByRule.recovery}`.padStart(14)}  ${String(r.worseActivations).padStart(5)}  ${r.seconds.toFixed(0)}`,
    );
  });
  summariseRows(name, rows, options.driftDay ?? 12);
}

/**
 * The drift detector's figures: the detector comparison on synthetic streams (a second), then the
 * simulation scenarios of docs/retraining.md, seeds one after another (about 10 s per 30-day
 * seed on a quiet machine; the whole set takes long). MOVIENIGHT_BENCH_DRIFT_PARTS picks parts
 * (detectors, abrupt, early, gradual, nodrift; default all), MOVIENIGHT_BENCH_DRIFT_SEEDS the
 * seeds (default 1-20).
 */
async function run(): Promise<void> {
  const parts = (process.env.MOVIENIGHT_BENCH_DRIFT_PARTS ?? 'detectors,abrupt,early,gradual,nodrift').split(
    ',',
  );
  const seeds = parseSeedList(process.env.MOVIENIGHT_BENCH_DRIFT_SEEDS ?? '1-20');
  if (parts.includes('detectors')) compareDetectors(50);
  if (parts.includes('abrupt')) await scenario('default world, 30 days, drift on day 12', seeds, {});
  // The two single runs use simulate's default seed, 42, as `movienight simulate --drift-day 7 --days 14` does.
  if (parts.includes('early')) await scenario('drift on day 7, 14 days', [42], { driftDay: 7, days: 14 });
  if (parts.includes('gradual'))
    await scenario('gradual drift over 10 days from day 12, 30 days', [42], { driftDays: 10 });
  if (parts.includes('nodrift'))
    await scenario('no drift, 90 days', seeds, { driftStrength: 0, days: 90, driftDay: 89 });
}

export const benchmark: Benchmark = {
  name: 'drift',
  description: 'drift detectors compared; simulated drift, recovery and no-drift runs',
  run,
};
