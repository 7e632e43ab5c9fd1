/** Tiny DOM helpers: elements are built with text nodes, never from HTML strings of user data. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** A short message in the polite live region (read by screen readers, shown as a toast). */
export function announce(message: string): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = message;
  el.classList.add('visible');
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => el.classList.remove('visible'), 2500);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function formatRating(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(1);
}
