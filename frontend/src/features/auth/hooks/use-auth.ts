import { useCallback, useSyncExternalStore } from "react";

import { clearTokens, getTokens, subscribeTokens } from "@/lib/auth";

/** True while a token pair is stored; flips when the user logs in or out (in any tab). */
export function useIsAuthenticated(): boolean {
  return useSyncExternalStore(
    subscribeTokens,
    () => getTokens() !== null,
    () => false,
  );
}

/** Ends the session. The app provider clears the cache and the router leaves for /login. */
export function useLogout(): () => void {
  return useCallback(() => clearTokens(), []);
}
