import { api, chartSvg } from '../api.ts';
import type { ReportCharts } from '../api-types.ts';
import { announce, errorText, failed, h, loading } from '../dom.ts';

/**
 * Places a chart's SVG (parsed as SVG, never as HTML) in a figure. The figure's caption is the
 * chart's title, so the title drawn inside the SVG is hidden; the SVG keeps its own aspect and is
 * never drawn wider than it was made, so its text stays at the size it was drawn at.
 */
export function placeSvg(figure: HTMLElement, caption: string | null, text: string): void {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName.toLowerCase() !== 'svg') {
    figure.replaceChildren(h('p', { class: 'error' }, 'This chart could not be drawn.'));
    return;
  }
  const title = caption ?? svg.querySelector('title')?.textContent ?? 'Chart';
  // An empty chart is a sentence, not a large blank frame.
  if (svg.querySelector('.mn-no-data')) {
    figure.replaceChildren(h('figcaption', {}, title), h('p', { class: 'muted' }, 'No data yet.'));
    return;
  }
  svg.querySelector('.mn-title')?.remove();
  const width = Number(svg.getAttribute('width')) || 480;
  // A wide chart (parallel coordinates) takes a whole row of a two-column grid.
  figure.classList.toggle('wide', width > 560);
  svg.setAttribute('style', `max-width:${width}px;min-width:${Math.round(width * 0.92)}px`);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  // On a narrow screen the chart scrolls sideways inside its box rather than shrinking its text.
  const box = h(
    'div',
    { class: 'chart-box', tabindex: 0, role: 'group', 'aria-label': `${title} (scrolls sideways)` },
    document.importNode(svg, true),
  );
  figure.replaceChildren(h('figcaption', {}, title), box);
}

/** A server-rendered chart (GET /api/admin/charts/:name) in a captioned figure. */
export function chart(name: string, caption: string, query = ''): HTMLElement {
  const figure = h(
    'figure',
    { class: 'chart', 'data-chart': name },
    h('figcaption', {}, caption),
    h('p', { class: 'muted' }, 'Loading the chart…'),
  );
  void chartSvg(name, query)
    .then((text) => placeSvg(figure, caption, text))
    .catch((error) =>
      figure.replaceChildren(
        h('figcaption', {}, caption),
        h('p', { class: 'error' }, errorText(error, 'draw this chart')),
      ),
    );
  return figure;
}

/** Every chart of a report (e.g. the tuning report of one run), one figure each. */
export function reportCharts(
  kind: string,
  query: string,
  into: HTMLElement = h('div', { class: 'grid-2' }),
): HTMLElement {
  void api<ReportCharts>('GET', `/api/admin/reports/${kind}/charts${query}`)
    .then(({ charts }) => {
      if (charts.length === 0) {
        into.replaceChildren(h('p', { class: 'muted' }, 'Nothing to draw yet.'));
        return;
      }
      into.replaceChildren(
        ...charts.map((svg, i) => {
          const figure = h('figure', { class: 'chart', 'data-chart': `${kind}-${i}` });
          placeSvg(figure, null, svg);
          return figure;
        }),
      );
    })
    .catch((error) => into.replaceChildren(h('p', { class: 'error' }, errorText(error, 'draw the charts'))));
  return into;
}

export function kv(entries: readonly [string, Node | string | number | null | undefined][]): HTMLElement {
  return h(
    'dl',
    { class: 'kv' },
    ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined ? '–' : v)]),
  );
}

/** A table with a header row; cells are nodes or text. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly (Node | string | number)[])[],
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'group', 'aria-label': `${caption} (table)` },
    h(
      'table',
      attrs,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

/**
 * Asks before an action that changes what users see, saying what will happen. Resolves true when
 * confirmed. A modal <dialog>: focus stays in it, Escape cancels.
 */
export function confirmAction(
  title: string,
  consequences: readonly string[],
  confirmLabel: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
    const finish = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.append(
      h('h2', { id: 'confirm-title' }, title),
      h('ul', {}, ...consequences.map((c) => h('li', {}, c))),
      h(
        'div',
        { class: 'form-row' },
        h('button', { type: 'button', class: 'danger', onclick: () => finish(true) }, confirmLabel),
        h('button', { type: 'button', class: 'secondary', onclick: () => finish(false) }, 'Cancel'),
      ),
    );
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector<HTMLButtonElement>('button.secondary')?.focus();
  });
}

/** Runs an admin action that finishes in the request; announces the outcome, then redraws. */
export async function act(label: string, fn: () => Promise<unknown>, after: () => void): Promise<void> {
  try {
    await fn();
    announce(`${label}: done`);
  } catch (error) {
    announce(`${label}: ${errorText(error, label.toLowerCase())}`);
  }
  after();
}

/** A section with a heading, its id derived from the heading. */
export function section(id: string, title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { 'aria-labelledby': `h-${id}` }, h('h2', { id: `h-${id}` }, title), ...body);
}

/** Loads `fetch` into a section body, with loading and error states, and draws it with `draw`. */
export function loaded<T>(
  what: string,
  fetch: () => Promise<T>,
  draw: (data: T) => (Node | null)[],
): HTMLElement {
  const body = h('div', {}, loading(what));
  const load = () => {
    body.replaceChildren(loading(what));
    fetch()
      .then((data) => body.replaceChildren(...draw(data).filter((n): n is Node => n !== null)))
      .catch((error) => body.replaceChildren(failed(errorText(error, `load ${what}`), load)));
  };
  load();
  return body;
}
