/** The browser's side of the JSON API: one fetch wrapper that turns error bodies into messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    // JSON on every state-changing request, body or not: the server refuses other types with a
    // session cookie, which is what keeps a cross-site form from acting as the signed-in person.
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'error', error?.message ?? response.statusText);
  }
  return data as T;
}

/** SVG text of a server-rendered chart (admin only). */
export async function chartSvg(name: string, query = ''): Promise<string> {
  const response = await fetch(`/api/admin/charts/${name}${query}`, { credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(response.status, 'chart', `chart ${name}: ${response.statusText}`);
  return response.text();
}

export type { Me, Movie, Scale } from './api-types.ts';
