import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";

import type { Me } from "@/lib/api/types";
import { authKeys } from "@/lib/query-keys";

export function createTestQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
}

export function renderWithProviders(
  ui: ReactElement,
  {
    queryClient = createTestQueryClient(),
    route = "/",
    me,
  }: {
    queryClient?: QueryClient;
    route?: string;
    /** Signed in as this user from the first render, as in the app (which loads /me first). */
    me?: Me;
  } = {},
): RenderResult & { queryClient: QueryClient } {
  if (me !== undefined) queryClient.setQueryData(authKeys.me(), me);
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}
