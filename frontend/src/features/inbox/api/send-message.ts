import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Message } from "@/lib/api/types";
import { bumpConversationForMessage, upsertMessage } from "@/lib/inbox-cache";

export interface SendMessageInput {
  conversationId: string;
  text: string;
  /** One per composed message; the same key on a retry lets the server drop the duplicate. */
  idempotencyKey: string;
}

export function sendMessage({ conversationId, text, idempotencyKey }: SendMessageInput): Promise<Message> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: conversationId } },
      body: { text },
      headers: { "Idempotency-Key": idempotencyKey },
    }),
  );
}

export function useSendMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: sendMessage,
    onSuccess: (message) => {
      // The socket's message:new may already have added it; upsert dedupes by id.
      upsertMessage(queryClient, message);
      bumpConversationForMessage(queryClient, message);
    },
  });
}
