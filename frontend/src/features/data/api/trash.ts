import { infiniteQueryOptions, useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation, TrashedConversation, TrashPage } from "@/lib/api/types";
import { removeConversation, scheduleCountsRefresh, upsertConversation } from "@/lib/inbox-cache";
import { auditKeys, trashKeys } from "@/lib/query-keys";

export const trashQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: trashKeys.list(),
    queryFn: ({ pageParam, signal }): Promise<TrashPage> =>
      unwrap(apiClient.GET("/api/inbox/trash", { params: { query: { cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

/** Deleted conversations, the most recently deleted first (admins and owners). */
export function useTrash() {
  return useInfiniteQuery(trashQueryOptions());
}

export function deleteConversation(conversationId: string): Promise<TrashedConversation> {
  return unwrap(
    apiClient.DELETE("/api/inbox/conversations/{conversation_id}", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

export function restoreConversation(conversationId: string): Promise<Conversation> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/restore", {
      params: { path: { conversation_id: conversationId } },
    }),
  );
}

/** Moves a conversation to the trash: out of every list at once (others hear it live). */
export function useDeleteConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteConversation,
    onSuccess: (_trashed, conversationId) => {
      removeConversation(queryClient, conversationId);
      void queryClient.invalidateQueries({ queryKey: trashKeys.all });
      void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
    },
  });
}

/** Takes a conversation out of the trash: back in the lists it belongs to. */
export function useRestoreConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: restoreConversation,
    onSuccess: (conversation) => {
      upsertConversation(queryClient, conversation);
      scheduleCountsRefresh(queryClient);
      void queryClient.invalidateQueries({ queryKey: trashKeys.all });
      void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
    },
  });
}
