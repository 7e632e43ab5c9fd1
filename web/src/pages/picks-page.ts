import { api, type Movie } from '../api.ts';
import { errorText, h } from '../dom.ts';
import { movieCard } from '../movie-card.ts';
import { session } from '../session.ts';

export interface Pick {
  readonly rank: number;
  readonly movie: Movie;
  readonly predictedRating: number;
  readonly explanation: string;
}

export interface Picks {
  readonly modelVersion: number | null;
  readonly arm: string | null;
  readonly recommendations: readonly Pick[];
}

/** "Tonight's picks": the top-N for the signed-in user, each with its predicted rating and reason. */
export function picksPage(): HTMLElement {
  if (session.me.kind !== 'user') {
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
  const list = h('ol', { class: 'cards', 'aria-label': 'Tonight’s picks' });
  const info = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const load = () => {
    void api<Picks>('GET', '/api/recommendations?n=12')
      .then((picks) => {
        info.textContent =
          picks.recommendations.length === 0
            ? 'No picks yet: rate a few movies first.'
            : `Picked by model version ${picks.modelVersion ?? '–'}${picks.arm ? ` (${picks.arm})` : ''}.`;
        list.replaceChildren(
          ...picks.recommendations.map((p) =>
            movieCard(p.movie, [
              h('span', { class: 'predicted' }, `You’d rate it about ${p.predictedRating.toFixed(1)} ★`),
              h('span', { class: 'reason' }, p.explanation),
            ]),
          ),
        );
      })
      .catch((error) => {
        info.textContent = errorText(error);
      });
  };
  load();
  return h(
    'section',
    {},
    h('h1', {}, `Tonight’s picks for ${session.me.username ?? 'you'}`),
    h(
      'p',
      {},
      h('button', { class: 'secondary', onclick: load }, 'Refresh picks'),
      ' ',
      h('a', { href: '#/browse' }, 'Rate more movies'),
    ),
    info,
    list,
  );
}
