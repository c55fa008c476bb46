import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { MessagePage } from "@/lib/api/types";
import { messageKeys } from "@/lib/query-keys";

const PAGE_SIZE = 50;

export function getMessages(conversationId: string, cursor: string | null): Promise<MessagePage> {
  return unwrap(
    apiClient.GET("/api/inbox/conversations/{conversation_id}/messages", {
      params: {
        path: { conversation_id: conversationId },
        query: { limit: PAGE_SIZE, ...(cursor === null ? {} : { cursor }) },
      },
    }),
  );
}

/** First page = newest messages; each next page is OLDER (see inbox-cache's MessageListData). */
export const messagesQueryOptions = (conversationId: string) =>
  infiniteQueryOptions({
    queryKey: messageKeys.list(conversationId),
    queryFn: ({ pageParam }) => getMessages(conversationId, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });

export function useMessages(conversationId: string) {
  return useInfiniteQuery(messagesQueryOptions(conversationId));
}
