import { api } from './api.ts';
import { errorText, failed, h, loading } from './dom.ts';
import { signInPage, signUpPage } from './pages/auth-pages.ts';
import { browsePage } from './pages/browse-page.ts';
import { historyPage } from './pages/history-page.ts';
import { moviePage } from './pages/movie-page.ts';
import { picksPage } from './pages/picks-page.ts';
import { refreshSession, session } from './session.ts';

type Page = (params: URLSearchParams, ...parts: string[]) => HTMLElement;
type AdminPages = typeof import('./admin-pages.ts');

/**
 * The admin's pages are a separate chunk, loaded on first use: people never download the
 * dashboard's code. Until it arrives the page says it is loading.
 */
function lazyAdminPage(pick: (pages: AdminPages) => HTMLElement): HTMLElement {
  const holder = h('section', {}, h('h1', {}, 'Dashboard'), loading('the dashboard'));
  const load = () =>
    import('./admin-pages.ts')
      .then((pages) => holder.replaceWith(pick(pages)))
      .catch((error) =>
        holder.replaceChildren(
          h('h1', {}, 'Dashboard'),
          failed(errorText(error, 'load the dashboard'), load),
        ),
      );
  void load();
  return holder;
}

/** Hash routes (`#/browse?q=…`, `#/movie/12`): the server needs no knowledge of the app's pages. */
const pages: readonly [RegExp, Page][] = [
  [/^\/$/, () => picksPage()],
  [/^\/browse$/, (params) => browsePage(params)],
  [/^\/movie\/(\d+)$/, (_, id) => moviePage(Number(id))],
  [/^\/history$/, () => historyPage()],
  [/^\/sign-in$/, () => signInPage()],
  [/^\/sign-up$/, () => signUpPage()],
  [/^\/admin$/, () => lazyAdminPage((p) => p.adminPage())],
  [/^\/admin\/versions$/, () => lazyAdminPage((p) => p.versionsPage())],
  [/^\/admin\/versions\/(\d+)$/, (_, v) => lazyAdminPage((p) => p.versionPage(Number(v)))],
  [/^\/admin\/compare$/, (params) => lazyAdminPage((p) => p.comparePage(params))],
  [
    /^\/admin\/tuning\/([^/]+)$/,
    (_, id) => lazyAdminPage((p) => p.tuningRunPage(decodeURIComponent(id ?? ''))),
  ],
];

function currentRoute(): { path: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

function signOutButton(): HTMLElement {
  const who = session.me.kind === 'user' ? session.me.username : 'admin';
  return h(
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
    `Sign out ${who}`,
  );
}

function renderNav(path: string): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  const link = (href: string, label: string) => {
    const current = path === href || (href === '/admin' && path.startsWith('/admin/'));
    return h('li', {}, h('a', { href: `#${href}`, 'aria-current': current ? 'page' : undefined }, label));
  };
  const items: HTMLElement[] = [link('/', 'Tonight’s picks'), link('/browse', 'Browse')];
  if (session.me.kind === 'user') items.push(link('/history', 'My ratings'));
  // The dashboard is the admin's: other visitors reach its sign-in at #/admin directly.
  if (session.me.kind === 'admin') items.push(link('/admin', 'Dashboard'));
  if (session.me.kind === 'anonymous') items.push(link('/sign-in', 'Sign in'), link('/sign-up', 'Sign up'));
  else items.push(h('li', {}, signOutButton()));
  nav.replaceChildren(h('ul', {}, ...items));
}

function render(): void {
  const { path, params } = currentRoute();
  const main = document.getElementById('main');
  if (!main) return;
  renderNav(path);
  let found: HTMLElement | null = null;
  try {
    for (const [pattern, page] of pages) {
      const match = pattern.exec(path);
      if (match) {
        found = page(params, ...match.slice(1));
        break;
      }
    }
  } catch (error) {
    found = h(
      'section',
      {},
      h('h1', {}, 'Something went wrong'),
      h('p', { class: 'error' }, errorText(error, 'show this page')),
    );
  }
  main.replaceChildren(
    found ??
      h(
        'section',
        {},
        h('h1', {}, 'No such page'),
        h(
          'p',
          {},
          'This address is not a page of MovieNight. ',
          h('a', { href: '#/' }, 'Go to tonight’s picks'),
          '.',
        ),
      ),
  );
  document.title = `${main.querySelector('h1')?.textContent ?? 'MovieNight'} · MovieNight`;
}

/** The skip link moves focus to the page's content; as a plain link it would route to "#main". */
function wireSkipLink(): void {
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    const main = document.getElementById('main');
    main?.focus();
    main?.scrollIntoView();
  });
}

let lastRoute = '';
window.addEventListener('hashchange', () => {
  // The app's routes all start with "#/"; any other fragment is an anchor in the page.
  if (!location.hash.startsWith('#/') && location.hash !== '') return;
  const { path } = currentRoute();
  render();
  // Move focus to the new page (not on a redraw of the same one, e.g. after an admin action).
  if (path !== lastRoute) document.getElementById('main')?.focus();
  lastRoute = path;
});

wireSkipLink();
void refreshSession()
  .catch(() => undefined)
  .then(() => {
    lastRoute = currentRoute().path;
    render();
  });
