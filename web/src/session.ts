import { api, type Me, type Scale } from './api.ts';

/** What the app knows about the visitor and the catalogue; refreshed after sign-in/out. */
export const session: { me: Me; scale: Scale } = {
  me: { kind: 'anonymous' },
  scale: { min: 0.5, max: 5, step: 0.5 },
};

export async function refreshSession(): Promise<void> {
  session.me = await api<Me>('GET', '/api/auth/me');
  session.scale = await api<Scale>('GET', '/api/scale');
}
