/**
 * Token storage: the access + refresh pair lives in localStorage under `parley.auth`.
 * A tiny external store so React (useSyncExternalStore), the API client and the
 * realtime module all read the same tokens and hear about login/logout.
 */
import type { TokenPair } from "@/lib/api/types";

export const AUTH_STORAGE_KEY = "parley.auth";

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
}

type Listener = () => void;

const listeners = new Set<Listener>();
let cached: AuthTokens | null | undefined;

function read(): AuthTokens | null {
  try {
    const raw = localStorage.getItem(AUTH_STORAGE_KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (
      parsed !== null &&
      typeof parsed === "object" &&
      "accessToken" in parsed &&
      "refreshToken" in parsed &&
      typeof parsed.accessToken === "string" &&
      typeof parsed.refreshToken === "string"
    ) {
      return { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken };
    }
  } catch {
    // Corrupt or inaccessible storage: treat as logged out.
  }
  return null;
}

function emit(): void {
  for (const listener of listeners) listener();
}

export function getTokens(): AuthTokens | null {
  if (cached === undefined) cached = read();
  return cached;
}

export function getAccessToken(): string | null {
  return getTokens()?.accessToken ?? null;
}

export function setTokens(pair: TokenPair | AuthTokens): void {
  const tokens: AuthTokens =
    "access_token" in pair
      ? { accessToken: pair.access_token, refreshToken: pair.refresh_token }
      : pair;
  cached = tokens;
  localStorage.setItem(AUTH_STORAGE_KEY, JSON.stringify(tokens));
  emit();
}

export function clearTokens(): void {
  const hadTokens = getTokens() !== null;
  cached = null;
  localStorage.removeItem(AUTH_STORAGE_KEY);
  if (hadTokens) emit();
}

export function subscribeTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab logged in or out: follow it.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== null && event.key !== AUTH_STORAGE_KEY) return;
    cached = read();
    emit();
  });
}
