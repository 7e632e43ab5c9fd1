import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

/**
 * One typed configuration, validated once. Sources, later wins: defaults, the JSON file
 * (`movienight.config.json` in the working directory, or `MOVIENIGHT_CONFIG`), environment
 * variables (`MOVIENIGHT_<SETTING>` in SCREAMING_SNAKE_CASE, e.g. MOVIENIGHT_ACCURACY_THRESHOLD).
 * The four seed settings are the first four.
 */
export const configSchema = z.object({
  /** Rolling window of live accuracy and of the optional windowed training set, days. */
  trainingWindowDays: z.number().positive().default(30),
  /** Live liked-accuracy below this triggers a retrain. */
  accuracyThreshold: z.number().min(0).max(1).default(0.5),
  /** Per-movie accuracy counts only movies with at least this many samples. */
  minSamplesPerMovie: z.number().int().positive().default(5),
  /** A challenger is activated when its relative accuracy improvement is at least this. */
  autoActivateThreshold: z.number().min(0).default(0.05),
  /**
   * Days `served_recommendations` rows are kept before the scheduler prunes them; unset means
   * trainingWindowDays, and a smaller value counts as trainingWindowDays (the tracker and the
   * off-policy screen read that far back). Rows of a running A/B test are kept however old.
   */
  servedRetentionDays: z.number().positive().optional(),
  /** Minimum live samples before a low accuracy may trigger a retrain. */
  minSamplesForRetrain: z.number().int().positive().default(100),
  /**
   * A web account's ratings count toward a retrain trigger only once the account was this many
   * days old when they were rated (users without an account always count): a burst of new
   * accounts cannot drive the tracked accuracy down. See docs/retraining.md.
   */
  establishedAccountDays: z.number().min(0).default(7),
  /** The threshold and recovery rules need outcomes from at least this many distinct established users. */
  minEstablishedUsersForRetrain: z.number().int().min(1).default(10),
  /** Minimum time between two automatic retrains, hours. */
  retrainCooldownHours: z.number().min(0).default(24),
  /** How often the scheduler runs its checks, seconds. */
  schedulerIntervalSeconds: z.number().positive().default(60),
  /** A lock or heartbeat older than this is taken to belong to a dead process, seconds. */
  staleAfterSeconds: z.number().positive().default(120),
  /** Like threshold; undefined means by scale (4 on whole stars, 3.5 on half stars). */
  likeThreshold: z.number().optional(),
  /** Train on all ratings, or only on the rolling window. */
  retrainData: z.enum(['all', 'window']).default('all'),
  /** Include ratings of unexpected (never recommended) movies in training. */
  includeUnexpected: z.boolean().default(true),
  /**
   * SQLite: `full` syncs every commit to disk before the request that made it is answered (a
   * rating answered 2xx survives an OS crash or power loss); `normal` syncs only at checkpoints,
   * faster but the last answered writes can be lost on power loss. Cost: docs/data.md.
   */
  sqliteSynchronous: z.enum(['full', 'normal']).default('full'),
  /** The server's request log level (one line per request at `info`); `silent` turns it off. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The change detector on the champion's stream of tracked outcomes (beside the threshold rule):
   * Page-Hinkley (the default, fastest with no false alarm in the comparison in
   * docs/retraining.md), CUSUM, ADWIN, or off.
   */
  driftDetector: z.enum(['page-hinkley', 'cusum', 'adwin', 'off']).default('page-hinkley'),
  /** Page-Hinkley λ / CUSUM h, in outcomes. */
  driftThreshold: z.number().positive().default(50),
  /** Page-Hinkley δ / CUSUM k: falls of accuracy smaller than this share are ignored. */
  driftAllowance: z.number().min(0).max(1).default(0.05),
  /** ADWIN's confidence δ. */
  driftAdwinDelta: z.number().positive().max(1).default(0.002),
  /** The detector triggers only for a fall of accuracy of at least this share (0.1 = 10 points). */
  driftMinDrop: z.number().positive().max(1).default(0.1),
  /** Tracked outcomes of the champion before the detector may raise an alarm. */
  driftMinSamples: z.number().int().positive().default(100),
  /**
   * Hours from the detected start of a fall to the trigger, so that the retrain has ratings of the
   * new tastes to learn from.
   */
  driftSettleHours: z.number().min(0).default(24),
  /**
   * After a drift trigger, retrain again (each cooldown) while the champion's accuracy stays
   * significantly more than driftRecoveryTolerance below the level before the fall, for this many
   * days after the fall began: the first retrain has only a day or two of the new tastes.
   */
  driftRecoveryDays: z.number().min(0).default(14),
  driftRecoveryTolerance: z.number().min(0).max(1).default(0.02),
  /**
   * The recovery rule judges the champion on its outcomes of the last this many hours (and since
   * the last trigger): a model that started well and slid is judged on where it is now.
   */
  driftRecoveryRecentHours: z.number().positive().default(48),
  /**
   * Share of recommendation slots served by exploration (a movie drawn from the ranker's next
   * candidates) with its propensity logged, which off-policy evaluation needs; 0 disables it.
   */
  explorationEpsilon: z.number().min(0).max(0.5).default(0.05),
  /** Candidates after the top n that explored slots draw from. */
  explorationPool: z.number().int().min(1).max(500).default(20),
  /**
   * Before an A/B test, a challenger whose off-policy accuracy interval lies below the champion's
   * estimate is `discard`ed without a test; `report` only records the screen; `off` skips it.
   */
  opeScreening: z.enum(['discard', 'report', 'off']).default('discard'),
  /**
   * The job queue (`redis://…` or `postgres://…`) that carries tuning trials, retrains and the
   * scheduled checks to `movienight worker` processes; unset: everything runs in the process that
   * asked, as worker threads. Needs the database to be PostgreSQL.
   */
  queueUrl: z.string().optional(),
  /** Names the queues (one deployment's jobs are apart from another's on the same server). */
  queuePrefix: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/, 'lower-case letters, digits, - and _ only')
    .default('movienight'),
  /**
   * A worker holds each job under a lock it renews; a job whose worker stopped renewing (killed)
   * for this long is taken again by another worker, seconds.
   */
  queueLockSeconds: z.number().positive().default(30),
  /**
   * The server sits behind a proxy that sets X-Forwarded-For and X-Forwarded-Proto: the client's
   * address is the last X-Forwarded-For entry, and a request that reached the proxy over TLS gets
   * Secure cookies. Off, both headers are ignored (any client could forge them).
   */
  trustProxy: z.boolean().default(false),
  /** API requests per minute from one address without a session (429 beyond); 0 turns it off. */
  rateLimitAnonymousPerMinute: z.number().int().min(0).default(600),
  /** API requests per minute of one signed-in account (429 beyond); 0 turns it off. */
  rateLimitAccountPerMinute: z.number().int().min(0).default(1200),
  /** Sign-ups per hour from one address (429 beyond); 0 turns it off. */
  signUpsPerAddressPerHour: z.number().int().min(0).default(20),
  /** Failed sign-ins per hour for one account from all addresses before only known addresses may try. */
  signInAccountCeilingPerHour: z.number().int().min(1).default(100),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

const envKey = (key: string) => `MOVIENIGHT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, type] of Object.entries(configSchema.shape)) {
    const raw = env[envKey(key)];
    if (raw === undefined || raw === '') continue;
    const inner = type.def.type === 'default' || type.def.type === 'optional' ? type.unwrap() : type;
    const kind = (inner as z.ZodType).def.type;
    if (kind === 'number') out[key] = Number(raw);
    else if (kind === 'boolean') out[key] = raw === 'true' || raw === '1';
    else out[key] = raw;
  }
  return out;
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly file?: string;
  /** Values given in code (tests, CLI flags) override everything. */
  readonly overrides?: Partial<Config>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.MOVIENIGHT_CONFIG ?? 'movienight.config.json';
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new InvalidInputError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = configSchema.strict().safeParse({ ...fromFile, ...fromEnv(env), ...options.overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `config: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'} (file ${file} or ${issue ? envKey(String(issue.path[0])) : 'environment'})`,
    );
  }
  return Object.freeze(parsed.data);
}

/** Where each setting's environment variable is, for `track status` and the docs. */
export const configEnvironmentVariables = Object.fromEntries(
  Object.keys(configSchema.shape).map((k) => [k, envKey(k)]),
) as Record<keyof Config, string>;
