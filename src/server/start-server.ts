import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { MovieNightApp } from './create-app.ts';

export interface StartServerOptions {
  readonly app: MovieNightApp;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: loopback unless asked otherwise. */
  readonly host?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, waits for open requests, stops the app's background work. */
  close(): Promise<void>;
}

/** Serves the app over HTTP with @hono/node-server. */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: options.app.app.fetch, port: options.port ?? 8080, hostname: host },
      (info: AddressInfo) => {
        const shownHost = host.includes(':') ? `[${host}]` : host;
        resolve({
          url: `http://${shownHost}:${info.port}`,
          port: info.port,
          async close() {
            await new Promise<void>((done) => {
              server.close(() => done());
              // Idle keep-alive sockets would hold close() open for their whole timeout.
              if ('closeIdleConnections' in server) server.closeIdleConnections();
            });
            await options.app.close();
          },
        });
      },
    );
    server.once('error', reject);
  });
}
