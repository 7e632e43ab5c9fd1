import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { InvalidInputError } from '../../errors.ts';

/** Shortest password a new account may have. */
export const minPasswordLength = 10;

/**
 * The lowest zxcvbn score (0–4) a new password may have: 2 means about 10^6 or more guesses,
 * which rules out common passwords, keyboard walks, repeats and the username with a digit.
 */
const minScore = 2;

let checker: ZxcvbnFactory | undefined;

/** Built on first use: loading the dictionaries takes a few milliseconds. */
function strength(): ZxcvbnFactory {
  checker ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return checker;
}

/**
 * Throws InvalidInputError (naming `body.password`) unless the password is long enough and not
 * easily guessed: not on a common-password list, not a keyboard walk or a repeat, not built from
 * the username.
 */
export function checkPasswordPolicy(password: string, username: string): void {
  if (password.length < minPasswordLength) {
    throw new InvalidInputError(`body.password: must be at least ${minPasswordLength} characters`);
  }
  if (password.trim() === '') throw new InvalidInputError('body.password: must not be only spaces');
  const result = strength().check(password, [username]);
  if (result.score < minScore) {
    throw new InvalidInputError(
      'body.password: is too easy to guess (a common password, a pattern or your username); choose a longer or less usual one',
    );
  }
}
