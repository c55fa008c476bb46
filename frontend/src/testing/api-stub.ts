import { vi } from "vitest";

import { jsonResponse } from "./fixtures";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

export type StubHandler = (request: RecordedRequest) => Response | Promise<Response>;

/**
 * Replaces fetch with answers keyed by "METHOD /path" and records every request (body parsed
 * as JSON). An unknown route answers 404 in the API's error shape.
 */
export function stubApi(handlers: Record<string, StubHandler>) {
  const requests: RecordedRequest[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const text = await input.clone().text();
      const recorded: RecordedRequest = {
        method: input.method,
        path: url.pathname,
        query: url.searchParams,
        headers: input.headers,
        body: text === "" ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(recorded);
      const key = `${input.method} ${url.pathname}`;
      const handler = handlers[key];
      if (handler === undefined) return jsonResponse(404, { error: "not_found", detail: `No stub for ${key}` });
      return handler(recorded);
    }),
  );
  return {
    requests,
    /** Requests sent as "METHOD /path", in order. */
    calls: () => requests.map((r) => `${r.method} ${r.path}`),
    find: (method: string, path: string) => requests.filter((r) => r.method === method && r.path === path),
  };
}
