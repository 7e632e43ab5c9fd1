import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Makes sure the PostgreSQL half of the storage tests has a server. `.ci/run` starts one and sets
 * MOVIENIGHT_TEST_PG_URL; on a developer machine we start the same throwaway cluster when we can.
 * Under CI a missing server is an error, never a silent skip.
 */
export default function setup(): void {
  if (process.env.MOVIENIGHT_TEST_PG_URL) return;
  if (existsSync('/usr/lib/postgresql') && process.getuid?.() === 0) {
    try {
      const url = execFileSync('bash', ['scripts/test-postgres.sh'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop();
      if (url) process.env.MOVIENIGHT_TEST_PG_URL = url;
      return;
    } catch (error) {
      if (process.env.CI) throw error;
    }
  }
  if (process.env.CI) throw new Error('CI needs PostgreSQL: MOVIENIGHT_TEST_PG_URL is not set');
}
