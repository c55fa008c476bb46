import type { QueryClient } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";

import { AppProvider } from "@/app/provider";
import { routes } from "@/app/router";

import { createTestQueryClient } from "./render";

/**
 * The whole app (routes, guards, layout) at `path`. Test files using it mock
 * `useRealtimeConnection` from `@/lib/realtime` so no socket is opened.
 */
export function renderApp(path: string, { queryClient = createTestQueryClient() }: { queryClient?: QueryClient } = {}) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(
    <AppProvider queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProvider>,
  );
  return { ...result, queryClient, router };
}
