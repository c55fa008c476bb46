import { useMutation, useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Conversation, ConversationStatus } from "@/lib/api/types";
import { findCachedConversation, scheduleCountsRefresh, upsertConversation } from "@/lib/inbox-cache";
import { conversationKeys, labelKeys } from "@/lib/query-keys";

export interface ConversationChanges {
  status?: ConversationStatus;
  /** Required with status "snoozed" (in the future); only then. */
  snoozed_until?: string | null;
  /** A teammate; null unassigns. */
  assignee_id?: string | null;
  /** Replaces the labels (the server normalises them: lower case, spaces become "-"). */
  labels?: string[];
}

export interface UpdateConversationInput {
  conversationId: string;
  changes: ConversationChanges;
}

export function updateConversation({ conversationId, changes }: UpdateConversationInput): Promise<Conversation> {
  return unwrap(
    apiClient.PATCH("/api/inbox/conversations/{conversation_id}", {
      params: { path: { conversation_id: conversationId } },
      body: changes,
    }),
  );
}

/** The conversation as it will be once the server has applied `changes` (for the optimistic write). */
export function withChanges(conversation: Conversation, changes: ConversationChanges): Conversation {
  const next = { ...conversation };
  if (changes.status !== undefined) {
    next.status = changes.status;
    // The server forgets the snooze time when the status is anything but snoozed.
    next.snoozed_until = changes.status === "snoozed" ? (changes.snoozed_until ?? null) : null;
  }
  if ("assignee_id" in changes && changes.assignee_id !== undefined) next.assignee_id = changes.assignee_id;
  if (changes.labels !== undefined) next.labels = changes.labels;
  return next;
}

interface Snapshot {
  entries: Array<[QueryKey, unknown]>;
}

function snapshotConversation(queryClient: QueryClient, conversationId: string): Snapshot {
  return {
    entries: [
      [conversationKeys.detail(conversationId), queryClient.getQueryData(conversationKeys.detail(conversationId))],
      ...queryClient.getQueriesData({ queryKey: conversationKeys.lists() }),
    ],
  };
}

/**
 * Change a conversation's status (snooze needs `snoozed_until`), assignee or labels. The
 * change shows at once in the thread and in every list (a resolved conversation leaves
 * "Open" straight away) and is rolled back if the server refuses it.
 */
export function useUpdateConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateConversation,
    onMutate: async ({ conversationId, changes }): Promise<Snapshot> => {
      // An answer already on its way must not overwrite the optimistic state.
      await queryClient.cancelQueries({ queryKey: conversationKeys.detail(conversationId) });
      const snapshot = snapshotConversation(queryClient, conversationId);
      const current = findCachedConversation(queryClient, conversationId);
      if (current !== undefined) upsertConversation(queryClient, withChanges(current, changes));
      return snapshot;
    },
    onError: (_error, { conversationId }, snapshot) => {
      if (snapshot !== undefined) {
        for (const [key, data] of snapshot.entries) queryClient.setQueryData(key, data);
      }
      void queryClient.invalidateQueries({ queryKey: conversationKeys.detail(conversationId) });
    },
    onSuccess: (conversation, { changes }) => {
      upsertConversation(queryClient, conversation);
      scheduleCountsRefresh(queryClient, 0);
      if (changes.labels !== undefined) void queryClient.invalidateQueries({ queryKey: labelKeys.all });
    },
  });
}
