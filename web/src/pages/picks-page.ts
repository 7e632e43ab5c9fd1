import { api } from '../api.ts';
import type { MovieSearch, Pick, Picks, RatingList } from '../api-types.ts';
import { errorText, failed, h, loading } from '../dom.ts';
import { countOf, formatRating } from '../format.ts';
import { movieCard } from '../movie-card.ts';
import { redraw, session } from '../session.ts';

export type { Pick, Picks };

/** Ratings a new user gives before the picks are theirs (MovieLens asks for about this many). */
export const onboardingGoal = 10;

function welcome(): HTMLElement {
  return h(
    'section',
    {},
    h('h1', {}, 'Pick tonight’s movie'),
    h('p', {}, 'MovieNight learns what you like from your ratings and picks movies for tonight.'),
    h(
      'p',
      {},
      h('a', { class: 'button', href: '#/sign-up' }, 'Create an account'),
      ' or ',
      h('a', { href: '#/sign-in' }, 'sign in'),
      '.',
    ),
  );
}

/** "Rate 10 movies": progress, and popular movies the user has not rated to rate right here. */
function onboarding(rated: number): HTMLElement {
  let count = rated;
  const bar = h('progress', { max: onboardingGoal, value: count, 'aria-labelledby': 'h-onboarding' });
  const words = h('p', { class: 'progress-words', 'aria-live': 'polite' });
  const done = h(
    'p',
    { class: 'notice', hidden: true },
    'Your picks are ready. ',
    h('button', { type: 'button', onclick: redraw }, 'See your picks'),
  );
  const update = () => {
    bar.value = Math.min(count, onboardingGoal);
    const left = onboardingGoal - count;
    words.textContent =
      left > 0
        ? `${count} of ${onboardingGoal} rated — ${left} to go.`
        : `${count} rated — that is enough for picks made for you.`;
    done.hidden = left > 0;
  };
  const list = h('ul', { class: 'cards', 'aria-label': 'Movies to rate' });
  const body = h('div', {}, loading('movies to rate'));
  const load = () =>
    api<MovieSearch>('GET', '/api/movies?sort=popular&pageSize=48')
      .then(({ movies }) => {
        const unrated = movies.filter((m) => m.myRating === null || m.myRating === undefined).slice(0, 24);
        list.replaceChildren(
          ...unrated.map((m) => {
            let had = false;
            return movieCard(m, [], (rating) => {
              if (rating !== null && !had) count++;
              if (rating === null && had) count--;
              had = rating !== null;
              update();
            });
          }),
        );
        body.replaceChildren(list);
      })
      .catch((error) => body.replaceChildren(failed(errorText(error, 'load movies to rate'), load)));
  void load();
  update();
  return h(
    'section',
    { class: 'onboarding', 'aria-labelledby': 'h-onboarding' },
    h('h2', { id: 'h-onboarding' }, `Rate ${onboardingGoal} movies to get picks made for you`),
    h('p', {}, 'Rate the ones you have seen — half stars are fine. Skip the rest.'),
    bar,
    words,
    done,
    body,
  );
}

function pickCard(p: Pick): HTMLElement {
  return movieCard(p.movie, [
    h('span', { class: 'predicted' }, `You’d rate it about ${formatRating(p.predictedRating)} ★`),
    h('span', { class: 'reason' }, p.explanation),
  ]);
}

function picksList(rated: number): HTMLElement {
  const list = h('ol', { class: 'cards', 'aria-label': 'Tonight’s picks' });
  const info = h('div', { 'aria-live': 'polite' }, loading('your picks'));
  const load = () => {
    info.replaceChildren(loading('your picks'));
    api<Picks>('GET', '/api/recommendations?n=12')
      .then((picks) => {
        info.replaceChildren(
          h(
            'p',
            { class: 'muted' },
            picks.recommendations.length === 0
              ? 'You have rated everything we could pick from. Come back when there are new movies.'
              : `Picked for you from your ${countOf(rated, 'rating')}.`,
          ),
        );
        list.replaceChildren(...picks.recommendations.map(pickCard));
      })
      .catch((error) => info.replaceChildren(failed(errorText(error, 'pick your movies'), load)));
  };
  load();
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: load }, 'Refresh picks'),
      ' ',
      h('a', { href: '#/browse' }, 'Rate more movies'),
    ),
    h('h2', { class: 'visually-hidden' }, 'Your picks'),
    info,
    list,
  );
}

/** "Tonight's picks": onboarding until the user has rated enough, then their top-N with reasons. */
export function picksPage(): HTMLElement {
  if (session.me.kind !== 'user') return welcome();
  const body = h('div', {}, loading('your picks'));
  const load = () =>
    api<RatingList>('GET', '/api/me/ratings?pageSize=1')
      .then(({ total }) =>
        body.replaceChildren(total < onboardingGoal ? onboarding(total) : picksList(total)),
      )
      .catch((error) => body.replaceChildren(failed(errorText(error, 'load your picks'), load)));
  void load();
  return h('section', {}, h('h1', {}, `Tonight’s picks for ${session.me.username ?? 'you'}`), body);
}
