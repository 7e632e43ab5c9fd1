import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/** The admin token every serve process started here is given (MOVIENIGHT_ADMIN_TOKEN). */
export const replicaAdminToken = 'replica-test-admin-token-0123456789';

/** A `movienight serve` child process and how to talk to it. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr, with the request log lines). */
  output(): string;
  /** SIGTERM, then waits for it to exit; resolves to its exit code (null: killed by a signal). */
  stop(): Promise<number | null>;
}

/**
 * Starts `movienight --db <location> serve --port 0 <args>` as its own process, as an operator
 * would (with `env` added to this process's environment), and resolves once it prints the URL it
 * serves at. Rejects with its output when it exits first or does not start within startTimeoutMs.
 */
export function startServeProcess(
  location: string,
  args: readonly string[] = [],
  options: { readonly env?: NodeJS.ProcessEnv; readonly startTimeoutMs?: number } = {},
): Promise<ServeProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', '--db', location, 'serve', '--port', '0', '--no-demo', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        MOVIENIGHT_CONFIG: '/nonexistent/movienight.config.json',
        MOVIENIGHT_ADMIN_TOKEN: replicaAdminToken,
        ...options.env,
      },
    },
  );
  let text = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`serve did not start within ${startTimeoutMs} ms:\n${text}`));
    }, startTimeoutMs);
    const onData = () => {
      const url = /MovieNight is serving at (http:\/\/\S+)/.exec(text)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolveStart({ url, child, output: () => text, stop });
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before serving:\n${text}`));
    });
  });
}

/**
 * One HTTP exchange with a serve process on a connection of its own (no keep-alive: `serve
 * --workers N` hands out connections, not requests, so reusing one would always reach the same
 * process): status, parsed JSON body (null when not JSON) and the session cookie set, if any.
 */
export function call(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; cookie?: string; token?: string } = {},
): Promise<{ status: number; json: unknown; cookie: string | null }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string | number> = {};
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  // A browser sends its page's origin with a cookie; the server refuses a state change without it.
  if (options.cookie) {
    headers.cookie = options.cookie;
    headers.origin = new URL(url).origin;
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((done, fail) => {
    const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        const setCookie = res.headers['set-cookie']?.[0];
        done({ status: res.statusCode ?? 0, json, cookie: setCookie ? setCookie.split(';')[0]! : null });
      });
    });
    req.on('error', fail);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Calls `probe` until it returns true or `timeoutMs` passes (then throws with `what`). A state
 * that arrives eventually passes however busy the machine is; one that never arrives fails.
 */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
