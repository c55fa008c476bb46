import { queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Me } from "@/lib/api/types";
import { authKeys } from "@/lib/query-keys";

export function getMe(): Promise<Me> {
  return unwrap(apiClient.GET("/api/auth/me"));
}

export const meQueryOptions = () =>
  queryOptions({ queryKey: authKeys.me(), queryFn: getMe, staleTime: 5 * 60_000 });

export function useMe() {
  return useQuery(meQueryOptions());
}
