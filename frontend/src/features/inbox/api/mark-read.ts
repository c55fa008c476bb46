import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation } from "@/lib/api/types";
import { flattenConversations, upsertConversation, type ConversationListData } from "@/lib/inbox-cache";
import { conversationKeys } from "@/lib/query-keys";

export function markConversationRead(conversationId: string): Promise<Conversation> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/read", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: markConversationRead,
    onMutate: (conversationId) => {
      // Clear the badge at once; the answer (or conversation:updated) confirms it.
      const list = queryClient.getQueryData<ConversationListData>(conversationKeys.list());
      const current =
        flattenConversations(list).find((c) => c.id === conversationId) ??
        queryClient.getQueryData<Conversation>(conversationKeys.detail(conversationId));
      if (current !== undefined && current.unread_count > 0) {
        upsertConversation(queryClient, { ...current, unread_count: 0 });
      }
    },
    onSuccess: (conversation) => upsertConversation(queryClient, conversation),
  });
}
