import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Message, SendMessageBody, TemplateChoice } from "@/lib/api/types";
import { bumpConversationForMessage, upsertMessage } from "@/lib/inbox-cache";

/** The Messenger tag a person's reply carries between 24 hours and 7 days (Meta's HUMAN_AGENT). */
export const HUMAN_AGENT_TAG = "HUMAN_AGENT";

/** What one send carries: text, a file (by its upload), or a WhatsApp template. */
export interface MessageDraft {
  text?: string;
  /** An uploaded file (`POST /api/storage/uploads`), sent with `text` as its caption when given. */
  uploadId?: string;
  template?: TemplateChoice;
  tag?: typeof HUMAN_AGENT_TAG;
  /** Quote a message of this conversation. */
  replyToMessageId?: string;
}

export interface SendMessageInput extends MessageDraft {
  conversationId: string;
  /** One per composed message; the same key on a retry lets the server drop the duplicate. */
  idempotencyKey: string;
}

/** The request body for a draft; only the parts it has. */
export function sendMessageBody(draft: MessageDraft): SendMessageBody {
  return {
    ...(draft.text !== undefined ? { text: draft.text } : {}),
    ...(draft.uploadId !== undefined ? { attachment: { upload_id: draft.uploadId } } : {}),
    ...(draft.template !== undefined ? { template: draft.template } : {}),
    ...(draft.tag !== undefined ? { tag: draft.tag } : {}),
    ...(draft.replyToMessageId !== undefined ? { reply_to_message_id: draft.replyToMessageId } : {}),
  };
}

export function sendMessage({ conversationId, idempotencyKey, ...draft }: SendMessageInput): Promise<Message> {
  const body = sendMessageBody(draft);
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: conversationId } },
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    }),
  );
}

/** Puts a message the server accepted (or made) into the thread and moves its conversation up. */
export function useApplyMessage() {
  const queryClient = useQueryClient();
  return (message: Message) => {
    // The socket's message:new may already have added it; upsert dedupes by id.
    upsertMessage(queryClient, message);
    bumpConversationForMessage(queryClient, message);
  };
}

export function useSendMessage() {
  const apply = useApplyMessage();
  return useMutation({ mutationFn: sendMessage, onSuccess: apply });
}
