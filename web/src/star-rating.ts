import { h } from './dom.ts';

export interface StarRatingOptions {
  readonly label: string;
  readonly value: number | null;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Called when the user commits a value (click, or Enter/Space after arrows). */
  onCommit(value: number): Promise<void> | void;
}

/**
 * A star rating as an ARIA slider: Tab to it, arrows change the value by the scale's step (half
 * stars where the scale has them), Home/End jump, Enter or Space saves. A click saves the star (or
 * half star) under the pointer.
 */
export function starRating(options: StarRatingOptions): HTMLElement {
  let value = options.value;
  let committed = options.value;
  const stars: HTMLElement[] = [];
  const root = h('span', {
    class: 'stars',
    role: 'slider',
    tabindex: 0,
    'aria-label': options.label,
    'aria-valuemin': options.min,
    'aria-valuemax': options.max,
  });
  for (let i = 1; i <= options.max; i++) {
    const fill = h('span', { class: 'fill', 'aria-hidden': 'true' }, '★');
    const star = h('span', { class: 'star', 'aria-hidden': 'true' }, '★', fill);
    stars.push(fill);
    root.append(star);
  }
  const snap = (v: number) =>
    Math.min(
      options.max,
      Math.max(options.min, Math.round((v - options.min) / options.step) * options.step + options.min),
    );
  const render = () => {
    stars.forEach((fill, i) => {
      const part = value === null ? 0 : Math.min(1, Math.max(0, value - i));
      fill.style.width = `${part * 100}%`;
    });
    root.setAttribute('aria-valuenow', String(value ?? options.min));
    root.setAttribute(
      'aria-valuetext',
      value === null
        ? 'not rated'
        : `${value} of ${options.max} stars${value === committed ? '' : ' (press Enter to save)'}`,
    );
    root.dataset.value = value === null ? '' : String(value);
  };
  const commit = async () => {
    if (value === null) return;
    await options.onCommit(value);
    committed = value;
    render();
  };
  root.addEventListener('keydown', (event) => {
    const start = value ?? options.min - options.step;
    let next: number | undefined;
    if (event.key === 'ArrowRight' || event.key === 'ArrowUp') next = snap(start + options.step);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowDown') next = snap(start - options.step);
    else if (event.key === 'Home') next = options.min;
    else if (event.key === 'End') next = options.max;
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void commit();
      return;
    }
    if (next !== undefined) {
      event.preventDefault();
      value = next;
      render();
    }
  });
  root.addEventListener('click', (event) => {
    const target = (event.target as HTMLElement).closest('.star');
    if (!target) return;
    const index = Array.from(root.children).indexOf(target);
    const box = target.getBoundingClientRect();
    const half = options.step < 1 && event.clientX - box.left < box.width / 2;
    value = snap(index + (half ? 0.5 : 1));
    render();
    void commit();
  });
  render();
  return root;
}
