import { InvalidInputError } from '../errors.ts';
import { type SimulationOptions, type SimulationSummary, simulate } from './simulate.ts';

/** One seed's run, reduced to what says whether the loop did its job. */
export interface SeedRow extends SimulationSummary {
  readonly seed: number;
  readonly seconds: number;
}

/**
 * Seeds from a list such as "1-10", "42" or "1,3,7-9", in the given order.
 * Ranges are inclusive; anything else is refused with the bad part named.
 */
export function parseSeedList(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InvalidInputError(`--seeds: "${part}" is not a seed or a range like 1-10`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new InvalidInputError(`--seeds: range "${part}" runs backwards`);
    if (to - from >= 1000) throw new InvalidInputError(`--seeds: range "${part}" has more than 1000 seeds`);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

/**
 * The same simulation on several seeds, one after the other (each in its own in-memory database),
 * to see whether its outcome is a property of the loop or of one lucky world.
 */
export async function simulateSeeds(
  seeds: readonly number[],
  options: Partial<Omit<SimulationOptions, 'seed' | 'location'>> = {},
  onSeed?: (row: SeedRow) => void,
): Promise<SeedRow[]> {
  const rows: SeedRow[] = [];
  for (const seed of seeds) {
    const r = await simulate({ ...options, seed });
    const row: SeedRow = { seed, ...r.summary, seconds: r.seconds };
    rows.push(row);
    onSeed?.(row);
  }
  return rows;
}

/** Terminal rendering: one line per seed. */
export function renderSeedTable(rows: readonly SeedRow[]): string {
  const pct = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(1));
  const day = (v: number | null) => (v === null ? '–' : String(v));
  const head = [
    'seed',
    'pre-drift %',
    'low %',
    'end %',
    'gap',
    'trigger day',
    'activation day',
    'triggers t/d/r',
    'worse act.',
    'retrains',
    'activations',
    's',
  ];
  const lines = rows.map((r) => [
    String(r.seed),
    pct(r.preDriftAccuracy),
    pct(r.lowestAfterDrift),
    pct(r.finalAccuracy),
    r.recoveryGapPoints === null
      ? '–'
      : `${r.recoveryGapPoints >= 0 ? '+' : ''}${r.recoveryGapPoints.toFixed(1)}`,
    day(r.firstTriggerDay),
    day(r.firstActivationDay),
    `${r.triggersByRule.threshold}/${r.triggersByRule.drift}/${r.triggersByRule.recovery}`,
    String(r.worseActivations),
    String(r.retrains),
    String(r.activations),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}
