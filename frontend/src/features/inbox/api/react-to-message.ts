import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Message, Reaction } from "@/lib/api/types";
import { findCachedMessage, replaceMessage } from "@/lib/inbox-cache";

/** The emoji offered in the picker (the ones WhatsApp and Messenger show first). */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;

export interface ReactInput {
  message: Message;
  /** The emoji to react with; "" removes the business's reaction. */
  emoji: string;
}

export function reactToMessage(messageId: string, emoji: string): Promise<Message> {
  return unwrap(
    apiClient.POST("/api/inbox/messages/{message_id}/reactions", {
      params: { path: { message_id: messageId } },
      body: { emoji },
    }),
  );
}

/** The business's own reaction on a message (one at most, as on WhatsApp and Messenger). */
export function ownReaction(message: Pick<Message, "reactions">): Reaction | null {
  return (message.reactions ?? []).find((r) => r.by === "business") ?? null;
}

/** The reactions once the business reacted with `emoji` ("" takes its reaction back). */
export function withOwnReaction(reactions: readonly Reaction[], emoji: string, at: string): Reaction[] {
  const others = reactions.filter((r) => r.by !== "business");
  return emoji === "" ? others : [...others, { emoji, by: "business", at }];
}

/**
 * React to a message, or take the reaction back; shown at once and rolled back (with the
 * server's reason) when refused: the window closed, the message never arrived...
 */
export function useReactToMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ message, emoji }: ReactInput) => reactToMessage(message.id, emoji),
    onMutate: ({ message, emoji }): Message => {
      const current = findCachedMessage(queryClient, message.conversation_id, message.id) ?? message;
      replaceMessage(queryClient, {
        ...current,
        reactions: withOwnReaction(current.reactions ?? [], emoji, new Date().toISOString()),
      });
      return current;
    },
    onError: (_error, _input, original) => {
      if (original !== undefined) replaceMessage(queryClient, original);
    },
    onSuccess: (answer) => {
      // Only the reactions are news here; the delivery status may have moved on meanwhile.
      const current = findCachedMessage(queryClient, answer.conversation_id, answer.id);
      replaceMessage(queryClient, current === undefined ? answer : { ...current, reactions: answer.reactions ?? [] });
    },
  });
}
