import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation } from "@/lib/api/types";
import { findCachedConversation } from "@/lib/inbox-cache";
import { conversationKeys } from "@/lib/query-keys";

export function getConversation(conversationId: string): Promise<Conversation> {
  return unwrap(
    apiClient.GET("/api/inbox/conversations/{conversation_id}", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

export const conversationQueryOptions = (conversationId: string) =>
  queryOptions({
    queryKey: conversationKeys.detail(conversationId),
    queryFn: () => getConversation(conversationId),
  });

/** One conversation; shown at once from any cached list while its own fetch runs. */
export function useConversation(conversationId: string) {
  const queryClient = useQueryClient();
  return useQuery({
    ...conversationQueryOptions(conversationId),
    placeholderData: () => findCachedConversation(queryClient, conversationId),
  });
}
