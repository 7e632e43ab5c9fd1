import type { Rng } from '../random/rng.ts';

/*
 * The vocabulary of the synthetic catalogue: its genres with their weights, and the words its
 * titles are made of. Kept apart from the world's model, which only draws from them.
 */

/** Genres and how often a movie draws each (relative weights). */
export const genreWeights: ReadonlyArray<readonly [string, number]> = [
  ['Drama', 25],
  ['Comedy', 20],
  ['Thriller', 10],
  ['Action', 10],
  ['Romance', 9],
  ['Adventure', 7],
  ['Crime', 6],
  ['Sci-Fi', 5],
  ['Horror', 5],
  ['Fantasy', 4],
  ['Children', 4],
  ['Animation', 3],
  ['Mystery', 3],
  ['Documentary', 2],
  ['War', 2],
  ['Musical', 2],
  ['Western', 1],
  ['Film-Noir', 1],
];

const adjectives = [
  'Silent',
  'Crimson',
  'Last',
  'Broken',
  'Golden',
  'Hidden',
  'Midnight',
  'Electric',
  'Lonely',
  'Wild',
  'Frozen',
  'Burning',
  'Secret',
  'Distant',
  'Savage',
  'Gentle',
  'Iron',
  'Paper',
  'Velvet',
  'Restless',
  'Forgotten',
  'Shattered',
  'Endless',
  'Quiet',
  'Bright',
];
const nouns = [
  'River',
  'Garden',
  'Empire',
  'Horizon',
  'Promise',
  'Shadow',
  'Kingdom',
  'Harbor',
  'Letter',
  'Storm',
  'Mirror',
  'Highway',
  'Orchard',
  'Machine',
  'Summer',
  'Winter',
  'Island',
  'Signal',
  'Circus',
  'Frontier',
  'Lighthouse',
  'Symphony',
  'Detective',
  'Heart',
  'City',
];
const places = [
  'Paris',
  'Brooklyn',
  'Tokyo',
  'the North',
  'Mars',
  'Avalon',
  'Casablanca',
  'the Valley',
  'Lisbon',
  'Nowhere',
];
const names = ['Anna', 'Marcus', 'Lena', 'Oscar', 'Maya', 'Felix', 'Iris', 'Hugo', 'Nora', 'Theo'];

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

/** A made-up movie title drawn from the word lists. */
export function makeTitle(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return `The ${pick(rng, adjectives)} ${pick(rng, nouns)}`;
    case 1:
      return `${pick(rng, adjectives)} ${pick(rng, nouns)}`;
    case 2:
      return `${pick(rng, nouns)} of ${pick(rng, places)}`;
    case 3:
      return `${pick(rng, names)}'s ${pick(rng, nouns)}`;
    case 4:
      return `The ${pick(rng, nouns)}, the ${pick(rng, nouns)} and ${pick(rng, names)}`;
    default:
      return `${pick(rng, adjectives)} ${pick(rng, nouns)} ${2 + rng.int(3)}`;
  }
}
