import { queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { LabelPage } from "@/lib/api/types";
import { labelKeys } from "@/lib/query-keys";

export function getLabels(): Promise<LabelPage> {
  return unwrap(apiClient.GET("/api/inbox/labels"));
}

export const labelsQueryOptions = () =>
  queryOptions({
    queryKey: labelKeys.list(),
    queryFn: getLabels,
    select: (page: LabelPage) => page.items,
    staleTime: 60_000,
  });

/** The labels in use on the team's conversations, most used first: `[{name, conversations}]`. */
export function useLabels() {
  return useQuery(labelsQueryOptions());
}
