import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { conversationListQuery } from "@/features/inbox/api/get-conversations";
import type { InboxView } from "@/features/inbox/utils/inbox-views";
import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation, ConversationPage } from "@/lib/api/types";
import { flattenConversations } from "@/lib/inbox-cache";
import { conversationKeys, DEFAULT_CONVERSATION_FILTERS, type ConversationFilters } from "@/lib/query-keys";
import { useRealtimeSession } from "@/lib/realtime-store";

/** Open conversations with unread messages: what the badges and the tab title count. */
export const UNREAD_FILTERS: ConversationFilters = { ...DEFAULT_CONVERSATION_FILTERS, unread: true };
// The API's largest page; past it the counts are "at least" (shown as "99+").
const SUMMARY_SIZE = 100;

/**
 * A conversation list like the inbox's (so the realtime module keeps it live: a conversation
 * joins it when a customer writes, leaves it when someone reads it), under its own key
 * because it is one bigger page.
 */
export const unreadSummaryQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: [...conversationKeys.lists(), UNREAD_FILTERS, "summary"] as const,
    queryFn: ({ signal }): Promise<ConversationPage> =>
      unwrap(
        apiClient.GET("/api/inbox/conversations", {
          params: { query: { ...conversationListQuery(UNREAD_FILTERS), limit: SUMMARY_SIZE } },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: () => undefined,
  });

export interface UnreadSummary {
  conversations: readonly Conversation[];
  /** False when there are more than one page holds (counts are then "at least"). */
  complete: boolean;
  /** The signed-in user (for "Mine"). */
  userId: string;
}

/**
 * The unread summary, once the live connection is up (it is only right while events keep it
 * so); undefined before.
 */
export function useUnreadSummary(): UnreadSummary | undefined {
  const session = useRealtimeSession();
  const query = useInfiniteQuery({ ...unreadSummaryQueryOptions(), enabled: session !== null });
  const userId = session?.userId;
  return useMemo(() => {
    if (query.data === undefined || userId === undefined) return undefined;
    const pages = query.data.pages;
    return {
      conversations: flattenConversations(query.data),
      complete: (pages[pages.length - 1]?.next_cursor ?? null) === null,
      userId,
    };
  }, [query.data, userId]);
}

export interface UnreadCount {
  count: number;
  /** There may be more than `count`. */
  atLeast: boolean;
}

/** Unread conversations in a sidebar view ("expiring soon" has no count). */
export function unreadIn(summary: UnreadSummary, view: InboxView | "total"): UnreadCount | undefined {
  if (view === "expiring") return undefined;
  const matches = (c: Conversation): boolean => {
    if (view === "total" || view === "all") return true;
    if (view === "mine") return c.assignee_id === summary.userId;
    if (view === "unassigned") return c.assignee_id === null;
    return c.channel_id === view.slice("channel:".length);
  };
  return { count: summary.conversations.filter(matches).length, atLeast: !summary.complete };
}

/** "3", "99+", or "12+" when the summary is cut short. */
export function unreadLabel({ count, atLeast }: UnreadCount): string {
  if (count > 99) return "99+";
  return atLeast ? `${count}+` : String(count);
}
