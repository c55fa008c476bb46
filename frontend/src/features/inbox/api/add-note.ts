import { useMutation } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Message } from "@/lib/api/types";

import { useApplyMessage } from "./send-message";

export interface AddNoteInput {
  conversationId: string;
  text: string;
}

/** A private note in the thread: seen by the team, never sent to the customer. */
export function addNote({ conversationId, text }: AddNoteInput): Promise<Message> {
  return unwrap(
    apiClient.POST("/api/inbox/conversations/{conversation_id}/notes", {
      params: { path: { conversation_id: conversationId } },
      body: { text },
    }),
  );
}

export function useAddNote() {
  const apply = useApplyMessage();
  return useMutation({ mutationFn: addNote, onSuccess: apply });
}
