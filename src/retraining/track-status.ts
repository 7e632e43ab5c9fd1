import { type Config, configEnvironmentVariables } from '../config.ts';
import type { Database } from '../db/database.ts';
import {
  type AccuracyFigure,
  accuracyBy,
  dailyAccuracy,
  type MovieAccuracy,
  movieAccuracy,
  windowAccuracy,
  windowCounts,
  windowStart,
} from '../monitoring/live-accuracy.ts';
import { configuredQueueDisplay } from '../queue/queue-url.ts';
import { championVersion } from '../registry/champion.ts';
import { retrainLockState } from './retrain-lock.ts';
import { listTriggers, type RetrainTrigger } from './retrain-triggers.ts';
import { type RevalidationOutcome, revalidate } from './revalidate.ts';

/** Everything `track status` shows, as plain data (the CLI and the web render it). */
export interface TrackStatus {
  readonly now: number;
  readonly window: { readonly days: number; readonly from: number; readonly to: number };
  readonly counts: { readonly tracked: number; readonly recommended: number; readonly unexpected: number };
  readonly championVersion: number | null;
  /** All recommended ratings in the window, whichever model served them. */
  readonly overall: AccuracyFigure;
  readonly byVersion: ReadonlyArray<{ readonly version: number | null } & AccuracyFigure>;
  readonly byArm: ReadonlyArray<{ readonly arm: string | null } & AccuracyFigure>;
  readonly byDay: ReadonlyArray<{ readonly day: string } & AccuracyFigure>;
  /** Movies with at least minSamplesPerMovie samples, worst first. */
  readonly worstMovies: readonly MovieAccuracy[];
  /** What the revalidation check would conclude now (no trigger is recorded by `status`). */
  readonly check: RevalidationOutcome;
  readonly thresholds: ReadonlyArray<{
    readonly setting: string;
    readonly value: unknown;
    readonly env: string;
  }>;
  readonly lock: {
    readonly holder: string | null;
    readonly triggerId: number | null;
    readonly heartbeatAt: number | null;
  };
  readonly recentTriggers: readonly RetrainTrigger[];
  /** The configured job queue (URL without its password), or null: work runs in the process that asks. */
  readonly queue: string | null;
}

const shownSettings = [
  'trainingWindowDays',
  'accuracyThreshold',
  'minSamplesPerMovie',
  'autoActivateThreshold',
  'minSamplesForRetrain',
  'establishedAccountDays',
  'minEstablishedUsersForRetrain',
  'retrainCooldownHours',
  'staleAfterSeconds',
  'schedulerIntervalSeconds',
  'retrainData',
  'includeUnexpected',
  'likeThreshold',
  'driftDetector',
  'driftThreshold',
  'driftAllowance',
  'driftAdwinDelta',
  'driftMinDrop',
  'driftMinSamples',
  'driftSettleHours',
  'driftRecoveryDays',
  'driftRecoveryTolerance',
  'driftRecoveryRecentHours',
] as const satisfies ReadonlyArray<keyof Config>;

export async function trackStatus(
  db: Database,
  config: Config,
  options: { now?: number } = {},
): Promise<TrackStatus> {
  const now = options.now ?? Date.now();
  const from = windowStart(now, config.trainingWindowDays);
  const [counts, overall, byVersion, byArm, byDay, worstMovies, check, lock, recentTriggers, champion] =
    await Promise.all([
      windowCounts(db, from, now),
      windowAccuracy(db, from, now),
      accuracyBy(db, 'model_version', from, now),
      accuracyBy(db, 'arm', from, now),
      dailyAccuracy(db, from, now),
      movieAccuracy(db, from, now, config.minSamplesPerMovie, { limit: 10 }),
      revalidate(db, config, { now, trigger: false }),
      retrainLockState(db),
      listTriggers(db, 10),
      championVersion(db),
    ]);
  return {
    now,
    window: { days: config.trainingWindowDays, from, to: now },
    counts,
    championVersion: champion,
    overall,
    byVersion: byVersion.map(({ key, ...f }) => ({ version: key === null ? null : Number(key), ...f })),
    byArm: byArm.map(({ key, ...f }) => ({ arm: key === null ? null : String(key), ...f })),
    byDay,
    worstMovies,
    check,
    thresholds: shownSettings.map((s) => ({
      setting: s,
      value: config[s] ?? null,
      env: configEnvironmentVariables[s],
    })),
    lock,
    recentTriggers,
    queue: configuredQueueDisplay(config),
  };
}

const pct = (v: number | null) => (v === null ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)} %`);

function line(label: string, f: AccuracyFigure): string {
  return `  ${label.padEnd(22)} ${pct(f.accuracy)}  (95 % CI ${pct(f.low)}–${pct(f.high)}, n = ${f.samples}${f.mae === null ? '' : `, MAE ${f.mae.toFixed(3)}`})`;
}

/** The drift detector's state in one phrase, with the fall it found. */
export function driftLine(c: RevalidationOutcome): string {
  const d = c.drift;
  const v = d.verdict;
  if (d.state === 'off' || d.state === 'none' || v === null || v.before === null || d.changeAt === null)
    return `${d.state}${v ? ` (${v.samples} outcomes looked at)` : ''}`;
  const since = new Date(d.changeAt).toISOString().slice(0, 16).replace('T', ' ');
  return `${d.state}: accuracy ${pct(v.before).trim()} → ${pct(v.after).trim()} since ${since} (n = ${v.samplesBefore} before, ${v.samplesAfter} after)`;
}

/** The terminal rendering of `track status`. */
export function renderTrackStatus(s: TrackStatus): string {
  const out: string[] = [];
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  out.push(`Window: last ${s.window.days} days (${iso(s.window.from)} → ${iso(s.window.to)})`);
  out.push(
    `Tracked ratings: ${s.counts.tracked} (${s.counts.recommended} of recommended movies, ${s.counts.unexpected} unexpected)`,
  );
  out.push(`Champion: ${s.championVersion === null ? 'none' : `v${s.championVersion}`}`);
  out.push('Accuracy (liked prediction right):');
  out.push(line('overall', s.overall));
  for (const v of s.byVersion) out.push(line(`version ${v.version ?? '–'}`, v));
  for (const a of s.byArm) out.push(line(`arm ${a.arm ?? '(none)'}`, a));
  if (s.byDay.length > 0) {
    out.push('Trend by day:');
    for (const d of s.byDay) out.push(line(d.day, d));
  }
  out.push(
    `Worst movies (≥ ${s.thresholds.find((t) => t.setting === 'minSamplesPerMovie')?.value} samples):`,
  );
  if (s.worstMovies.length === 0) out.push('  none with enough samples');
  for (const m of s.worstMovies) out.push(line(`${m.movieId} ${(m.title ?? '').slice(0, 15)}`, m));
  out.push(
    `Check: ${s.check.verdict}${s.check.firedRule ? ` (${s.check.firedRule} rule)` : ''} — rule: ${s.check.rule}`,
  );
  out.push(`Drift: ${driftLine(s.check)} — rule: ${s.check.drift.rule}`);
  const r = s.check.recovery;
  if (r)
    out.push(
      `Recovery: champion ${pct(r.champion.accuracy).trim()} since ${iso(r.from)} (n = ${r.champion.samples}), target ${pct(r.level).trim()} (the level before the fall of ${iso(r.changeAt)})`,
    );
  out.push(
    `Retrain lock: ${s.lock.holder === null ? 'free' : `held by ${s.lock.holder} (trigger #${s.lock.triggerId}, heartbeat ${iso(s.lock.heartbeatAt ?? 0)})`}`,
  );
  if (s.recentTriggers.length > 0) {
    out.push('Recent retrain triggers:');
    for (const t of s.recentTriggers) {
      out.push(
        `  #${t.id} ${iso(t.triggeredAt)} ${t.source} ${t.status}: ${t.reason}${t.outcome ? ` → ${t.outcome}` : ''}`,
      );
    }
  }
  out.push(
    `Job queue: ${s.queue ?? 'none (retrains and trials run in the process that starts them)'} (MOVIENIGHT_QUEUE_URL)`,
  );
  out.push('Settings in force (environment variable):');
  for (const t of s.thresholds) out.push(`  ${t.setting.padEnd(26)} ${String(t.value).padEnd(8)} ${t.env}`);
  return out.join('\n');
}
