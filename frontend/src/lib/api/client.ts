/**
 * The typed API client (openapi-fetch over the generated schema) and its auth middleware:
 * every request carries `Authorization: Bearer <access>`; a 401 triggers one refresh
 * (shared by concurrent requests) and one retry; if that fails the user is logged out.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import { clearTokens, getAccessToken, getTokens, setTokens } from "@/lib/auth";

import { toApiError } from "./errors";
import type { paths } from "./schema";

export type ApiClient = Client<paths>;

/** Endpoints that authenticate by their body, never by bearer token, and never refresh. */
const PUBLIC_PATHS = new Set<string>([
  "/api/auth/login",
  "/api/auth/register",
  "/api/auth/refresh",
  "/api/invitations/{token}",
  "/api/invitations/{token}/accept",
]);

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}

export interface AuthedApi {
  client: ApiClient;
  /** Exchanges the stored refresh token for a new pair. Resolves to the new access token, or null. */
  refreshAccessToken: () => Promise<string | null>;
}

function defaultBaseUrl(): string {
  return typeof window === "undefined" ? "" : window.location.origin;
}

function bearerOf(request: Request): string | null {
  const header = request.headers.get("Authorization");
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : null;
}

export function createApiClient(options: ApiClientOptions = {}): AuthedApi {
  const baseUrl = options.baseUrl ?? defaultBaseUrl();
  // Resolved at call time so tests (and polyfills) can replace globalThis.fetch.
  const fetchImpl: typeof globalThis.fetch =
    options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const client = createClient<paths>({ baseUrl, fetch: fetchImpl });
  // The refresh call must not go through the auth middleware (no recursion on its own 401).
  const bare = createClient<paths>({ baseUrl, fetch: fetchImpl });

  let inflightRefresh: Promise<string | null> | null = null;

  /** null = the server refused the refresh token; throws only when the server was unreachable. */
  async function doRefresh(): Promise<string | null> {
    const tokens = getTokens();
    if (tokens === null) return null;
    const { data, response } = await bare.POST("/api/auth/refresh", {
      body: { refresh_token: tokens.refreshToken },
    });
    if (!response.ok || data === undefined) {
      if (response.status >= 500) throw toApiError(response.status, null);
      return null;
    }
    // Refresh tokens rotate: the old one is now spent, always keep the new one.
    setTokens(data);
    return data.access_token;
  }

  function refreshAccessToken(): Promise<string | null> {
    inflightRefresh ??= doRefresh().finally(() => {
      inflightRefresh = null;
    });
    return inflightRefresh;
  }

  // A copy of each outgoing request, so a 401 can be replayed with a fresh token.
  const replayable = new Map<string, Request>();

  const authMiddleware: Middleware = {
    onRequest({ request, schemaPath, id }) {
      if (PUBLIC_PATHS.has(schemaPath)) return undefined;
      const token = getAccessToken();
      if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
      replayable.set(id, request.clone());
      return request;
    },
    async onResponse({ response, schemaPath, id }) {
      const original = replayable.get(id);
      replayable.delete(id);
      if (response.status !== 401 || PUBLIC_PATHS.has(schemaPath) || original === undefined) {
        return undefined;
      }
      // Another request may already have refreshed while this one was in flight.
      const current = getAccessToken();
      let token: string | null;
      if (current !== null && current !== bearerOf(original)) {
        token = current;
      } else {
        try {
          token = await refreshAccessToken();
        } catch {
          return undefined; // Server unreachable: keep the session, surface the 401.
        }
      }
      if (token === null) {
        clearTokens();
        return undefined;
      }
      original.headers.set("Authorization", `Bearer ${token}`);
      const retried = await fetchImpl(original);
      if (retried.status === 401) clearTokens();
      return retried;
    },
    onError({ id }) {
      replayable.delete(id);
      return undefined;
    },
  };

  client.use(authMiddleware);
  return { client, refreshAccessToken };
}

const api = createApiClient();

/** The app's API client. */
export const apiClient = api.client;
/** Single-flight token refresh, shared with the realtime connection. */
export const refreshAccessToken = api.refreshAccessToken;

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Resolves to the response body, or throws an ApiError carrying the server's `detail`. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw toApiError(response.status, error ?? null);
  return data;
}
