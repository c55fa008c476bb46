import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Message } from "@/lib/api/types";
import { replaceMessage, upsertMessage } from "@/lib/inbox-cache";

export function retryMessage(messageId: string): Promise<Message> {
  return unwrap(
    apiClient.POST("/api/inbox/messages/{message_id}/retry", {
      params: { path: { message_id: messageId } },
    }),
  );
}

/**
 * Sends a failed message again (Meta's rules are checked again). The bubble goes back to
 * "queued" at once and returns to its failure, reason included, if the server refuses.
 */
export function useRetryMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (message: Message) => retryMessage(message.id),
    onMutate: (message): Message => {
      replaceMessage(queryClient, {
        ...message,
        status: "queued",
        error: null,
        retry_count: (message.retry_count ?? 0) + 1,
      });
      return message;
    },
    onError: (_error, _message, original) => {
      if (original !== undefined) replaceMessage(queryClient, original);
    },
    onSuccess: (message) => upsertMessage(queryClient, message),
  });
}
