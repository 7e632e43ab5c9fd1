import { h } from './dom.ts';
import { formatRating } from './format.ts';

export interface StarRatingOptions {
  readonly label: string;
  /** The saved rating, or null for none. */
  readonly value: number | null;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Saves a rating (null clears it); a rejection puts the previous value back on screen. */
  onCommit(value: number | null): Promise<void>;
  /** Words for a failed save, from the error. */
  describeError(error: unknown): string;
}

type State = 'idle' | 'saving' | 'saved' | 'failed';

const spoken = (v: number | null, max: number) =>
  v === null ? 'not rated' : `${formatRating(v)} of ${max} stars`;

/** The stars of the widget: a full star's glyph with a clipped filled copy over it. */
function starRow(options: StarRatingOptions): { slider: HTMLElement; fills: HTMLElement[] } {
  const slider = h('span', {
    class: 'stars',
    role: 'slider',
    tabindex: 0,
    'aria-label': options.label,
    'aria-valuemin': options.min,
    'aria-valuemax': options.max,
  });
  const fills: HTMLElement[] = [];
  for (let i = 1; i <= options.max; i++) {
    const fill = h('span', { class: 'fill', 'aria-hidden': 'true' }, '★');
    fills.push(fill);
    slider.append(h('span', { class: 'star', 'aria-hidden': 'true', 'data-star': i }, '★', fill));
  }
  return { slider, fills };
}

/**
 * A star rating as an ARIA slider. Pointer: hovering previews the value under the pointer (the
 * left half of a star is the half star, the right half the whole one) and a click saves it.
 * Keyboard: arrows move a pending value (Home/End jump), Enter or Space saves it, and so does
 * leaving the stars (Tab); Escape drops it; Delete clears the rating. A save shows at once and is
 * rolled back visibly, with the reason beside the stars, when the server refuses it.
 *
 * It is long because the pointer, keyboard and save handlers share one closure of state (saved,
 * pending and previewed value); split apart they would pass that state around by hand.
 */
export function starRating(options: StarRatingOptions): HTMLElement {
  let committed = options.value;
  let pending: number | null | undefined;
  let preview: number | undefined;
  let state: State = 'idle';
  const { slider, fills } = starRow(options);
  const note = h('span', { class: 'rating-note', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', class: 'link-button clear-rating' }, 'Clear');
  clear.setAttribute('aria-label', `Clear ${options.label.charAt(0).toLowerCase()}${options.label.slice(1)}`);
  const root = h('div', { class: 'rating' }, slider, clear, note);
  const snap = (v: number) =>
    Math.min(
      options.max,
      Math.max(options.min, Math.round((v - options.min) / options.step) * options.step + options.min),
    );

  const render = () => {
    const shown = preview ?? (pending === undefined ? committed : pending);
    fills.forEach((fill, i) => {
      fill.style.width = `${(shown === null ? 0 : Math.min(1, Math.max(0, shown - i))) * 100}%`;
    });
    slider.classList.toggle('previewing', preview !== undefined || pending !== undefined);
    slider.setAttribute('aria-valuenow', String(shown ?? options.min));
    const unsaved = pending !== undefined && pending !== committed ? ' (not saved yet: press Enter)' : '';
    slider.setAttribute('aria-valuetext', `${spoken(shown ?? null, options.max)}${unsaved}`);
    slider.dataset.value = committed === null ? '' : String(committed);
    root.dataset.state = state;
    clear.hidden = committed === null || state === 'saving';
  };
  const save = async (value: number | null) => {
    pending = undefined;
    preview = undefined;
    if (value === committed) return render();
    const previous = committed;
    committed = value;
    state = 'saving';
    note.textContent = 'Saving…';
    render();
    try {
      await options.onCommit(value);
      state = 'saved';
      note.textContent = value === null ? 'Rating cleared' : `Saved: ${formatRating(value)} ★`;
    } catch (error) {
      committed = previous;
      state = 'failed';
      note.textContent = `Not saved. ${options.describeError(error)} Your rating is still ${previous === null ? 'none' : `${formatRating(previous)} ★`}.`;
    }
    render();
  };
  const valueAt = (event: MouseEvent): number | undefined => {
    const star = (event.target as HTMLElement).closest<HTMLElement>('.star');
    if (!star) return undefined;
    const index = Number(star.dataset.star) - 1;
    const box = star.getBoundingClientRect();
    const half = options.step < 1 && event.clientX - box.left < box.width / 2;
    return snap(index + (half ? 0.5 : 1));
  };

  slider.addEventListener('mousemove', (event) => {
    preview = valueAt(event);
    render();
  });
  slider.addEventListener('mouseleave', () => {
    preview = undefined;
    render();
  });
  slider.addEventListener('click', (event) => {
    const value = valueAt(event);
    if (value !== undefined) void save(value);
  });
  slider.addEventListener('keydown', (event) => {
    const current = pending === undefined ? committed : pending;
    const start = current ?? options.min - options.step;
    let next: number | null | undefined;
    if (event.key === 'ArrowRight' || event.key === 'ArrowUp') next = snap(start + options.step);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowDown') next = snap(start - options.step);
    else if (event.key === 'Home') next = options.min;
    else if (event.key === 'End') next = options.max;
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (pending !== undefined) void save(pending);
      return;
    } else if (event.key === 'Escape') {
      pending = undefined;
      note.textContent = '';
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      void save(null);
      return;
    } else return;
    event.preventDefault();
    pending = next;
    if (next !== undefined && next !== committed) note.textContent = 'Enter to save';
    render();
  });
  slider.addEventListener('blur', () => {
    if (pending !== undefined && pending !== committed) void save(pending);
    else {
      pending = undefined;
      render();
    }
  });
  clear.addEventListener('click', () => void save(null));
  render();
  return root;
}
