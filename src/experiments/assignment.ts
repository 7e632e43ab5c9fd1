/** The two arms of a test: the current champion and the one challenger. */
export type Arm = 'champion' | 'challenger';

/**
 * A uniform number in [0, 1) from a test id and a user id: MurmurHash3's 32-bit finaliser over the
 * two ids. Deterministic, so a user lands in the same arm in every process and after restarts,
 * with nothing stored; salted by the test id, so the users in a test's challenger arm are not the
 * same users in the next test's.
 */
export function assignmentBucket(testId: number, userId: number): number {
  let h = Math.imul(testId ^ 0x9e3779b9, 0x85ebca6b) ^ userId;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  // A second round mixes userId's high bits in too (ids above 2^32 are not expected, but be safe).
  h = Math.imul(h ^ Math.floor(userId / 4294967296), 0x27d4eb2f);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** The arm of a user: the challenger when the user's bucket falls inside its traffic share. */
export function assignArm(testId: number, userId: number, challengerShare: number): Arm {
  return assignmentBucket(testId, userId) < challengerShare ? 'challenger' : 'champion';
}
