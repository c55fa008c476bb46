import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation } from "@/lib/api/types";
import { findCachedConversation, upsertConversation } from "@/lib/inbox-cache";

export function markConversationRead(conversationId: string): Promise<Conversation> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/read", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

export function markConversationUnread(conversationId: string): Promise<Conversation> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/unread", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

/** Sets the unread badge at once; the answer (or conversation:updated) confirms it. */
function setUnreadCount(queryClient: QueryClient, conversationId: string, unread: (current: number) => number): void {
  const current = findCachedConversation(queryClient, conversationId);
  if (current === undefined) return;
  const next = unread(current.unread_count);
  if (next !== current.unread_count) upsertConversation(queryClient, { ...current, unread_count: next });
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markConversationRead,
    onMutate: (conversationId) => setUnreadCount(queryClient, conversationId, () => 0),
    onSuccess: (conversation) => upsertConversation(queryClient, conversation),
  });
}

/** "Mark as unread": the conversation shows as unread again until it is next opened. */
export function useMarkUnread() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markConversationUnread,
    onMutate: (conversationId) => setUnreadCount(queryClient, conversationId, (count) => Math.max(count, 1)),
    onError: (_error, conversationId) => setUnreadCount(queryClient, conversationId, () => 0),
    onSuccess: (conversation) => upsertConversation(queryClient, conversation),
  });
}
