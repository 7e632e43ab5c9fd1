import { api, type Me, type Scale } from './api.ts';

/** What the app knows about the visitor and the catalogue; refreshed after sign-in/out. */
export const session: { me: Me; scale: Scale } = {
  me: { kind: 'anonymous' },
  scale: { min: 0.5, max: 5, step: 0.5 },
};

export async function refreshSession(): Promise<void> {
  const [me, scale] = await Promise.all([api<Me>('GET', '/api/auth/me'), api<Scale>('GET', '/api/scale')]);
  session.me = me;
  session.scale = scale;
}

/** Draws the current page again (after an action changed what it shows), keeping focus where it is. */
export function redraw(): void {
  window.dispatchEvent(new Event('hashchange'));
}
