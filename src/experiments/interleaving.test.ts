import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { defaultAbPolicy } from './ab-analysis.ts';
import { analyseInterleaving, creditRatings, teamDraft } from './interleaving.ts';

const policy = { ...defaultAbPolicy, minSamples: 200, tau: 0.1 };

describe('team-draft interleaving', () => {
  it('takes each team’s best movie not yet shown, balances the teams, and credits likes to the placer', () => {
    const champion = [1, 2, 3, 4, 5];
    const challenger = [2, 6, 1, 7, 8];
    for (let seed = 1; seed <= 50; seed++) {
      const list = teamDraft(champion, challenger, 4, new Rng(seed));
      expect(new Set(list.movieIds).size).toBe(4);
      const a = list.teams.filter((t) => t === 'champion').length;
      expect(a).toBe(2);
      // Every movie comes from the ranking of the team that placed it, in that ranking's order.
      list.movieIds.forEach((m, i) => {
        expect((list.teams[i] === 'champion' ? champion : challenger).includes(m)).toBe(true);
      });
      const credit = creditRatings(list, new Set([6, 3]), new Set([1]));
      expect(credit.challenger).toBe(list.movieIds.includes(6) ? 1 : 0);
      const oneBy = list.teams[list.movieIds.indexOf(1)];
      expect(credit.champion).toBe((list.movieIds.includes(3) ? 1 : 0) - (oneBy === 'champion' ? 1 : 0));
    }
    // The first round's coin: whoever picks first takes its own top movie.
    const first = teamDraft(champion, challenger, 2, new Rng(9));
    expect(first.movieIds[0]).toBe(first.teams[0] === 'champion' ? 1 : 2);
  });

  it('gives no credit for a movie both rankers held, whichever team placed it', () => {
    const champion = [1, 2, 3, 4];
    const challenger = [2, 5, 1, 6];
    const shared = new Set([1, 2]);
    for (let seed = 1; seed <= 20; seed++) {
      const list = teamDraft(champion, challenger, 4, new Rng(seed));
      // All four liked: only the movies one ranker alone held (3, 4 the champion's; 5, 6 the
      // challenger's) count, and only where they were shown.
      const all = new Set(list.movieIds);
      const credit = creditRatings(list, all, new Set(), shared);
      const alone = (ms: number[]) => ms.filter((m) => all.has(m)).length;
      expect(credit.champion).toBe(alone([3, 4]));
      expect(credit.challenger).toBe(alone([5, 6]));
      // Without the shared set, the shared movies count for whichever team placed them.
      const counted = creditRatings(list, all, new Set());
      expect(counted.champion + counted.challenger).toBe(4);
    }
  });

  it('activates only on a significant preference for the challenger, and blocks on an exposure mismatch', () => {
    const placed = { champion: 5000, challenger: 5000 };
    const wait = analyseInterleaving(
      { users: 100, sumDifference: 80, sumSquaredDifference: 200, wins: 60, losses: 20, placed },
      1,
      policy,
    );
    expect(wait.verdict.action).toBe('continue');
    const win = analyseInterleaving(
      { users: 1000, sumDifference: 300, sumSquaredDifference: 2000, wins: 500, losses: 300, placed },
      3,
      policy,
    );
    expect(win.verdict.action).toBe('activate');
    const lose = analyseInterleaving(
      { users: 1000, sumDifference: -300, sumSquaredDifference: 2000, wins: 300, losses: 500, placed },
      3,
      policy,
    );
    expect(lose.verdict.action).toBe('discard');
    const even = analyseInterleaving(
      { users: 1000, sumDifference: 10, sumSquaredDifference: 2000, wins: 400, losses: 395, placed },
      3,
      policy,
    );
    expect(even.verdict.action).toBe('continue');
    const broken = analyseInterleaving(
      {
        users: 1000,
        sumDifference: 300,
        sumSquaredDifference: 2000,
        wins: 500,
        losses: 300,
        placed: { champion: 5000, challenger: 4000 },
      },
      3,
      policy,
    );
    expect(broken.verdict.action).toBe('blocked');
  });
});
