import { h } from './dom.ts';

/** A stable 32-bit hash of a string (FNV-1a), so a movie keeps its colours on every visit. */
function hash(text: string): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}

/** The title without a trailing "(1995)" or ", The" for the poster's big letters. */
function posterWords(title: string): string {
  return title
    .replace(/\s*\(\d{4}\)\s*$/, '')
    .replace(/,\s*(The|A|An)$/i, '')
    .trim();
}

/**
 * A generated poster: the catalogue has no images, so each movie gets two colours and its
 * initials drawn from its title, made in the page (no network). Decorative: the title is beside it.
 */
export function poster(title: string, size: 'small' | 'large' = 'small'): HTMLElement {
  const words = posterWords(title);
  const seed = hash(words);
  const hue = seed % 360;
  const initials =
    words
      .split(/\s+/)
      .filter((w) => /^[\p{L}\p{N}]/u.test(w))
      .slice(0, 2)
      .map((w) => w[0]!.toUpperCase())
      .join('') || '?';
  const el = h('div', { class: `poster poster-${size}`, 'aria-hidden': 'true' }, h('span', {}, initials));
  el.style.background = `linear-gradient(${135 + (seed % 90)}deg, hsl(${hue} 45% 30%), hsl(${(hue + 40) % 360} 55% 18%))`;
  return el;
}
