import { writeFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open-database.ts';
import { serveRecommendations } from '../../src/recommend/serve-recommendations.ts';
import { readUserHistory } from '../../src/recommend/user-history.ts';

/**
 * Top-10 for known users in one process, as the server answers them: the first call loads the
 * champion (cold), then 200 calls over 100 users, each user twice (warm). Prints the cold time and
 * the warm p50/p95 in ms as JSON, and writes the peak RSS like peak-rss-cli.ts.
 */
const db = await openDatabase(process.argv[2]!);
const time = async (userId: number): Promise<number> => {
  const t0 = performance.now();
  const history = await readUserHistory(db, userId);
  await serveRecommendations(db, { userId, n: 10, history });
  return performance.now() - t0;
};
const coldMs = await time(1);
const warm: number[] = [];
for (let round = 0; round < 2; round++) for (let u = 2; u <= 101; u++) warm.push(await time(u));
warm.sort((a, b) => a - b);
const at = (p: number) => warm[Math.min(warm.length - 1, Math.floor(p * warm.length))]!;
process.stdout.write(JSON.stringify({ coldMs, warmP50Ms: at(0.5), warmP95Ms: at(0.95) }));
await db.close();
const file = process.env.MOVIENIGHT_PEAK_RSS_FILE;
if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
