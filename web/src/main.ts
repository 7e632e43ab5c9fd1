import { api } from './api.ts';
import { errorText, h } from './dom.ts';
import { adminPage } from './pages/admin-page.ts';
import { signInPage, signUpPage } from './pages/auth-pages.ts';
import { browsePage } from './pages/browse-page.ts';
import { historyPage } from './pages/history-page.ts';
import { picksPage } from './pages/picks-page.ts';
import { refreshSession, session } from './session.ts';

/** Hash routes (`#/browse?q=…`): the server needs no knowledge of the app's pages. */
const pages: Record<string, (params: URLSearchParams) => HTMLElement> = {
  '/': () => picksPage(),
  '/browse': (params) => browsePage(params),
  '/history': () => historyPage(),
  '/sign-in': () => signInPage(),
  '/sign-up': () => signUpPage(),
  '/admin': () => adminPage(),
};

function currentRoute(): { path: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

function renderNav(path: string): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  const link = (href: string, label: string) =>
    h('li', {}, h('a', { href: `#${href}`, 'aria-current': path === href ? 'page' : undefined }, label));
  const items: HTMLElement[] = [link('/', 'Tonight’s picks'), link('/browse', 'Browse')];
  if (session.me.kind === 'user') items.push(link('/history', 'My ratings'));
  items.push(link('/admin', 'Dashboard'));
  if (session.me.kind === 'anonymous') {
    items.push(link('/sign-in', 'Sign in'), link('/sign-up', 'Sign up'));
  } else {
    items.push(
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            onclick: async () => {
              await api('POST', '/api/auth/sign-out');
              await refreshSession();
              location.hash = '#/';
              render();
            },
          },
          `Sign out ${session.me.kind === 'user' ? session.me.username : 'admin'}`,
        ),
      ),
    );
  }
  nav.replaceChildren(h('ul', {}, ...items));
}

function render(): void {
  const { path, params } = currentRoute();
  const main = document.getElementById('main');
  if (!main) return;
  renderNav(path);
  const page = pages[path];
  try {
    main.replaceChildren(
      page ? page(params) : h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Go home'), '.'),
    );
  } catch (error) {
    main.replaceChildren(h('p', { class: 'error' }, errorText(error)));
  }
  document.title = `${main.querySelector('h1')?.textContent ?? 'MovieNight'} · MovieNight`;
}

window.addEventListener('hashchange', () => {
  render();
  // Move focus to the new page so keyboard and screen-reader users start at its top.
  document.getElementById('main')?.focus();
});

void refreshSession()
  .catch(() => undefined)
  .then(render);
