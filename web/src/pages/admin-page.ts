import { h } from '../dom.ts';

export function adminPage(): HTMLElement {
  return h('section', {}, h('h1', {}, 'Dashboard'));
}
