import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";

import { getTokens, subscribeTokens } from "@/lib/auth";
import { createQueryClient } from "@/lib/query-client";

/** Drops every cached answer when the session ends, so the next user starts clean. */
function useClearCacheOnLogout(queryClient: QueryClient): void {
  useEffect(
    () =>
      subscribeTokens(() => {
        if (getTokens() === null) queryClient.clear();
      }),
    [queryClient],
  );
}

export function AppProvider({ children, queryClient: given }: { children: ReactNode; queryClient?: QueryClient }) {
  const [queryClient] = useState(() => given ?? createQueryClient());
  useClearCacheOnLogout(queryClient);
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}
