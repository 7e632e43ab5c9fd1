import { ApiError } from './api.ts';

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
  statusTimer = setTimeout(() => el.classList.remove('visible'), 4000);
}

const sentence = (text: string) =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;

/**
 * A refused field in words: the server's own rules ("body.password: must be at least 10
 * characters") read well once the path is a field name; a validator's stock message ("Invalid
 * input: expected number, received NaN", capitalised) is never shown.
 */
function fieldText(message: string): string | null {
  const match = /^(?:body|query|path)\.([A-Za-z]+): ([a-z].*)$/.exec(message);
  if (!match) return null;
  const field = match[1]!.replace(/([A-Z])/g, ' $1').toLowerCase();
  return sentence(`${field} ${match[2]}`);
}

/**
 * What went wrong, in words for people: the server's own messages for what the visitor can act on
 * (a taken username, a wrong password), plain sentences for the rest (never a validator's path and
 * type names). `what` names the thing that failed ("save your rating"); `ownWords` lets a 401 say
 * the server's reason (a sign-in form: "username or password is wrong").
 */
export function errorText(error: unknown, what = 'do that', ownWords = false): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return ownWords ? sentence(error.message) : `Please sign in to ${what}.`;
    if (error.status === 403) return `Your account is not allowed to ${what}.`;
    if (error.status === 404) return `That is no longer here, so MovieNight could not ${what}.`;
    if (error.status === 409 || error.status === 429) return sentence(error.message);
    if (error.status === 400 || error.status === 413) {
      return (
        fieldText(error.message) ?? `MovieNight could not ${what}: some of the values were not accepted.`
      );
    }
    return `MovieNight could not ${what} just now. Please try again in a moment.`;
  }
  if (error instanceof TypeError) return `MovieNight could not be reached to ${what}. Check your connection.`;
  return `MovieNight could not ${what}.`;
}

/** A message with a "Try again" button, for a part of a page that failed to load. */
export function failed(message: string, retry: () => void): HTMLElement {
  return h(
    'div',
    { class: 'notice error-box', role: 'alert' },
    h('p', {}, message),
    h('button', { type: 'button', class: 'secondary', onclick: retry }, 'Try again'),
  );
}

/** A visible, announced "Loading …" line, shown while a part of a page waits for the server. */
export function loading(what: string): HTMLElement {
  return h(
    'p',
    { class: 'muted loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    `Loading ${what}…`,
  );
}
