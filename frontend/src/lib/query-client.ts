import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "@/lib/api/errors";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // The socket keeps the cache fresh; a refetch on focus catches anything it missed.
        refetchOnWindowFocus: true,
        // A 4xx will not get better by asking again.
        retry: (failureCount, error) => {
          if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
          return failureCount < 2;
        },
      },
      mutations: { retry: false },
    },
  });
}
