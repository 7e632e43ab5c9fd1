import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * The client's address: the peer address, or behind a trusted proxy the last X-Forwarded-For entry
 * (the one the proxy itself added; earlier entries are whatever the client sent). Without
 * `trustProxy` the header is ignored, since any client can forge it.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 100);
  }
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

/** The request reached us (or the trusted proxy in front of us) over TLS. */
export function cameOverTls(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (!trustProxy) return false;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return proto === 'https';
}

/** The origin (scheme://host) the client addressed, as a browser would write it in `Origin`. */
export function requestOrigin(c: Context, trustProxy: boolean): string {
  const url = new URL(c.req.url);
  const host = (trustProxy ? c.req.header('x-forwarded-host')?.split(',')[0]?.trim() : undefined) ?? url.host;
  return `${cameOverTls(c, trustProxy) ? 'https' : url.protocol.replace(':', '')}://${host}`.toLowerCase();
}
