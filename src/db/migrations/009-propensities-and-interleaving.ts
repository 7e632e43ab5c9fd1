import { execScript, type Migration } from './migration.ts';

/**
 * Off-policy evaluation and interleaving:
 * - served_recommendations records, for a list drawn with exploration, the probability of the
 *   movie at its slot given the earlier slots (`propensity`) and the probability that the movie
 *   is anywhere in the list (`inclusion_propensity`, what the estimators weigh by); both null for
 *   a list served without exploration (deterministic: probability 1);
 * - ab_tests.method: 'ab' (users split between arms) or 'interleave' (each user sees a
 *   team-draft list, and `arm` on the served and quality rows is the team that placed the movie,
 *   which is how a like is credited);
 * - ope_screenings: each off-policy screen of a challenger, with its decision and figures.
 */
export const propensitiesAndInterleaving: Migration = {
  version: 9,
  name: 'served propensities, A/B test method, off-policy screenings',
  async up(db, t) {
    await execScript(
      db,
      `
ALTER TABLE served_recommendations ADD COLUMN propensity DOUBLE PRECISION;
ALTER TABLE served_recommendations ADD COLUMN inclusion_propensity DOUBLE PRECISION;
ALTER TABLE ab_tests ADD COLUMN method TEXT NOT NULL DEFAULT 'ab';
CREATE TABLE ope_screenings (
  id ${t.autoId},
  champion_version INTEGER NOT NULL REFERENCES model_versions(version),
  challenger_version INTEGER NOT NULL REFERENCES model_versions(version),
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  figures TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX ope_screenings_challenger ON ope_screenings (challenger_version, created_at)
`,
    );
  },
};
