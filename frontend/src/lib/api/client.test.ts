import { describe, expect, it, vi } from "vitest";

import { getTokens, setTokens } from "@/lib/auth";
import { buildConversation, jsonResponse } from "@/testing/fixtures";

import { createApiClient, unwrap } from "./client";
import { ApiError } from "./errors";

const BASE = "http://parley.test";

type Route = (request: Request) => Response | Promise<Response>;

/** A fetch double that records every request and answers by "METHOD /path". */
function fakeFetch(routes: Record<string, Route | Route[]>) {
  const calls: { method: string; path: string; authorization: string | null; body: string }[] = [];
  const counters = new Map<string, number>();
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    calls.push({
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get("Authorization"),
      body: await request.clone().text(),
    });
    const route = routes[key];
    if (route === undefined) throw new Error(`unexpected request ${key}`);
    if (Array.isArray(route)) {
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      const handler = route[Math.min(n, route.length - 1)] as Route;
      return handler(request);
    }
    return route(request);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const unauthorized = () => jsonResponse(401, { error: "unauthorized", detail: "Token expired" });
const me = () => jsonResponse(200, { id: "u1", email: "a@b.co", role: "owner", tenant: { id: "t1", name: "Acme" } });
const rotated = () => jsonResponse(200, { access_token: "access-2", refresh_token: "refresh-2", token_type: "bearer" });

describe("auth middleware", () => {
  it("sends the stored access token as a bearer token", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const { fetch, calls } = fakeFetch({ "GET /api/auth/me": me });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const data = await unwrap(client.GET("/api/auth/me"));

    expect(data.email).toBe("a@b.co");
    expect(calls[0]?.authorization).toBe("Bearer access-1");
  });

  it("on 401 refreshes once, stores the rotated pair, and replays the request with the new token", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const { fetch, calls } = fakeFetch({
      "GET /api/auth/me": [unauthorized, me],
      "POST /api/auth/refresh": rotated,
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const data = await unwrap(client.GET("/api/auth/me"));

    expect(data.tenant.name).toBe("Acme");
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "GET /api/auth/me",
      "POST /api/auth/refresh",
      "GET /api/auth/me",
    ]);
    expect(JSON.parse(calls[1]?.body ?? "{}")).toEqual({ refresh_token: "refresh-1" });
    expect(calls[1]?.authorization).toBeNull();
    expect(calls[2]?.authorization).toBe("Bearer access-2");
    expect(getTokens()).toEqual({ accessToken: "access-2", refreshToken: "refresh-2" });
  });

  it("replays a request body (POST) after refreshing", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const message = { id: "m1", status: "queued" };
    const { fetch, calls } = fakeFetch({
      "POST /api/inbox/conversations/c1/messages": [unauthorized, () => jsonResponse(202, message)],
      "POST /api/auth/refresh": rotated,
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    await unwrap(
      client.POST("/api/inbox/conversations/{conversation_id}/messages", {
        params: { path: { conversation_id: "c1" } },
        body: { text: "hello" },
        headers: { "Idempotency-Key": "key-1" },
      }),
    );

    const posts = calls.filter((c) => c.path.endsWith("/messages"));
    expect(posts).toHaveLength(2);
    expect(JSON.parse(posts[1]?.body ?? "{}")).toEqual({ text: "hello" });
    expect(posts[1]?.authorization).toBe("Bearer access-2");
  });

  it("shares one refresh between concurrent requests that all got 401", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    let releaseRefresh: () => void = () => {};
    const refreshGate = new Promise<void>((resolve) => {
      releaseRefresh = resolve;
    });
    const list = () => jsonResponse(200, { items: [buildConversation()], next_cursor: null });
    const { fetch, calls } = fakeFetch({
      "GET /api/auth/me": (r) => (r.headers.get("Authorization") === "Bearer access-2" ? me() : unauthorized()),
      "GET /api/inbox/conversations": (r) =>
        r.headers.get("Authorization") === "Bearer access-2" ? list() : unauthorized(),
      "POST /api/auth/refresh": async () => {
        await refreshGate;
        return rotated();
      },
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const both = Promise.all([unwrap(client.GET("/api/auth/me")), unwrap(client.GET("/api/inbox/conversations"))]);
    await vi.waitFor(() => expect(calls.filter((c) => c.path === "/api/auth/refresh")).toHaveLength(1));
    releaseRefresh();
    const [meData, page] = await both;

    expect(meData.email).toBe("a@b.co");
    expect(page.items).toHaveLength(1);
    expect(calls.filter((c) => c.path === "/api/auth/refresh")).toHaveLength(1);
  });

  it("logs out when the refresh token is refused", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const { fetch, calls } = fakeFetch({
      "GET /api/auth/me": unauthorized,
      "POST /api/auth/refresh": () => jsonResponse(401, { error: "invalid_refresh_token", detail: "Invalid" }),
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const error = await unwrap(client.GET("/api/auth/me")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(getTokens()).toBeNull();
    expect(calls.filter((c) => c.path === "/api/auth/me")).toHaveLength(1);
  });

  it("refreshes only once: a replay that is still 401 logs out without another refresh", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const { fetch, calls } = fakeFetch({
      "GET /api/auth/me": unauthorized,
      "POST /api/auth/refresh": rotated,
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const error = await unwrap(client.GET("/api/auth/me")).catch((e: unknown) => e);

    expect((error as ApiError).status).toBe(401);
    expect(calls.filter((c) => c.path === "/api/auth/refresh")).toHaveLength(1);
    expect(calls.filter((c) => c.path === "/api/auth/me")).toHaveLength(2);
    expect(getTokens()).toBeNull();
  });

  it("does not refresh on a failed login (401 is the answer, not an expired session)", async () => {
    const { fetch, calls } = fakeFetch({
      "POST /api/auth/login": () =>
        jsonResponse(401, { error: "invalid_credentials", detail: "Wrong email or password." }),
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const error = await unwrap(client.POST("/api/auth/login", { body: { email: "a@b.co", password: "x" } })).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ status: 401, error: "invalid_credentials", detail: "Wrong email or password." });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.authorization).toBeNull();
  });

  it("keeps the session when the refresh endpoint is unreachable", async () => {
    setTokens({ accessToken: "access-1", refreshToken: "refresh-1" });
    const { fetch } = fakeFetch({
      "GET /api/auth/me": unauthorized,
      "POST /api/auth/refresh": () => jsonResponse(502, "Bad gateway"),
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    await unwrap(client.GET("/api/auth/me")).catch(() => undefined);

    expect(getTokens()).toEqual({ accessToken: "access-1", refreshToken: "refresh-1" });
  });
});

describe("error bodies", () => {
  it("turns FastAPI's validation list into a readable detail", async () => {
    const { fetch } = fakeFetch({
      "POST /api/auth/register": () =>
        jsonResponse(422, { detail: [{ loc: ["body", "password"], msg: "must be at least 10 characters", type: "x" }] }),
    });
    const { client } = createApiClient({ baseUrl: BASE, fetch });

    const error = await unwrap(
      client.POST("/api/auth/register", { body: { email: "a@b.co", password: "short", tenant_name: "Acme" } }),
    ).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 422, detail: "password: must be at least 10 characters" });
  });
});
