import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ConversationPage } from "@/lib/api/types";
import { conversationKeys, DEFAULT_CONVERSATION_FILTERS, type ConversationFilters } from "@/lib/query-keys";

const PAGE_SIZE = 30;
// Windows close as time passes without any event: refresh a window-filtered list now and then.
const WINDOW_REFRESH_MS = 60_000;

/** The API's query string for a view of the list (defaults left out). */
export function conversationListQuery(filters: ConversationFilters, cursor: string | null = null) {
  return {
    limit: PAGE_SIZE,
    ...(filters.folder === "all" ? {} : { folder: filters.folder }),
    ...(filters.channelId === null ? {} : { channel_id: filters.channelId }),
    ...(filters.status === null ? {} : { status: [filters.status] }),
    ...(filters.assigneeId === null ? {} : { assignee_id: filters.assigneeId }),
    ...(filters.label === null ? {} : { label: filters.label }),
    ...(filters.unread ? { unread: true } : {}),
    ...(filters.window === null ? {} : { window: filters.window }),
    ...(filters.q === null ? {} : { q: filters.q }),
    ...(cursor === null ? {} : { cursor }),
  };
}

export function getConversations(
  filters: ConversationFilters,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<ConversationPage> {
  return unwrap(
    apiClient.GET("/api/inbox/conversations", { params: { query: conversationListQuery(filters, cursor) }, signal }),
  );
}

export const conversationsQueryOptions = (filters: ConversationFilters = DEFAULT_CONVERSATION_FILTERS) =>
  infiniteQueryOptions({
    queryKey: conversationKeys.list(filters),
    queryFn: ({ pageParam, signal }) => getConversations(filters, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
    refetchInterval: filters.window === null ? false : WINDOW_REFRESH_MS,
  });

/** One view of the inbox, newest activity first; kept live by the realtime module. */
export function useConversations(filters: ConversationFilters = DEFAULT_CONVERSATION_FILTERS) {
  return useInfiniteQuery(conversationsQueryOptions(filters));
}
