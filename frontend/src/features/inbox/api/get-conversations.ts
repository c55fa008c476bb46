import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ConversationPage } from "@/lib/api/types";
import { conversationKeys } from "@/lib/query-keys";

const PAGE_SIZE = 30;

export function getConversations(cursor: string | null): Promise<ConversationPage> {
  return unwrap(
    apiClient.GET("/api/inbox/conversations", {
      params: { query: { limit: PAGE_SIZE, ...(cursor === null ? {} : { cursor }) } },
    }),
  );
}

export const conversationsQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: conversationKeys.list(),
    queryFn: ({ pageParam }) => getConversations(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });

/** The inbox, newest activity first; kept live by the realtime module. */
export function useConversations() {
  return useInfiniteQuery(conversationsQueryOptions());
}
