import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `../shared/data/ml-latest-small` beside the project (never committed: its licence forbids it). */
export const mlLatestSmallPath = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'data',
  'ml-latest-small',
);

/** The folder when this machine has it, else undefined (tests skip, saying so). */
export const mlLatestSmallDir: string | undefined = existsSync(join(mlLatestSmallPath, 'ratings.csv'))
  ? mlLatestSmallPath
  : undefined;

export const skipWithoutMlLatestSmall = `skipped: ${mlLatestSmallPath} is absent`;
