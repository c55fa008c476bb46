import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { StartConversationBody, StartedConversation } from "@/lib/api/types";
import { scheduleCountsRefresh, upsertConversation, upsertMessage } from "@/lib/inbox-cache";

export interface StartConversationInput extends StartConversationBody {
  /** One per attempt from the dialog, so a retried request does not message twice. */
  idempotencyKey: string;
}

/** Writes first to a WhatsApp number with an approved template (the contact is created if new). */
export function startConversation({ idempotencyKey, ...body }: StartConversationInput): Promise<StartedConversation> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations", {
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    }),
  );
}

export function useStartConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startConversation,
    onSuccess: ({ conversation, message }) => {
      upsertConversation(queryClient, conversation);
      upsertMessage(queryClient, message);
      scheduleCountsRefresh(queryClient, 0);
    },
  });
}
