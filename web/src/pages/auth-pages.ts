import { api } from '../api.ts';
import type { Credentials } from '../api-types.ts';
import { errorText, h } from '../dom.ts';
import { refreshSession } from '../session.ts';

function credentialsForm(
  title: string,
  action: string,
  submitLabel: string,
  onDone: () => void,
  hint: string,
): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    minlength: 3,
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    required: true,
    minlength: action.endsWith('sign-up') ? 10 : 1,
    autocomplete: action.endsWith('sign-up') ? 'new-password' : 'current-password',
  });
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('div', {}, h('label', { for: 'username' }, 'Username'), username),
    h('div', {}, h('label', { for: 'password' }, 'Password'), password, h('p', { class: 'muted' }, hint)),
    h('button', { type: 'submit' }, submitLabel),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await api('POST', action, { username: username.value, password: password.value } satisfies Credentials);
      await refreshSession();
      onDone();
    } catch (e) {
      error.textContent = errorText(
        e,
        action.endsWith('sign-up') ? 'create the account' : 'sign you in',
        true,
      );
    }
  });
  return h('section', {}, h('h1', {}, title), form);
}

export function signInPage(): HTMLElement {
  const page = credentialsForm(
    'Sign in',
    '/api/auth/sign-in',
    'Sign in',
    () => {
      location.hash = '#/';
    },
    '',
  );
  page.append(h('p', {}, 'New here? ', h('a', { href: '#/sign-up' }, 'Create an account'), '.'));
  return page;
}

export function signUpPage(): HTMLElement {
  const page = credentialsForm(
    'Create an account',
    '/api/auth/sign-up',
    'Sign up',
    () => {
      location.hash = '#/browse';
    },
    'At least 10 characters, and not a common password.',
  );
  page.append(h('p', {}, 'Have an account? ', h('a', { href: '#/sign-in' }, 'Sign in'), '.'));
  return page;
}
