import { queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ConversationCounts } from "@/lib/api/types";
import { conversationKeys } from "@/lib/query-keys";

export function getConversationCounts(): Promise<ConversationCounts> {
  return unwrap(apiClient.GET("/api/inbox/conversations/counts"));
}

export const conversationCountsQueryOptions = () =>
  queryOptions({ queryKey: conversationKeys.counts(), queryFn: getConversationCounts, staleTime: 30_000 });

/** Open conversations in Mine / Unassigned / All and per channel; refreshed by the realtime module. */
export function useConversationCounts() {
  return useQuery(conversationCountsQueryOptions());
}
