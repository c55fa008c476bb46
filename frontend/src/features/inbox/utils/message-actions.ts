import type { ChannelKind, Message } from "@/lib/api/types";

/** Whether the business may react to this message, mirroring the server's rules. */
export type ReactionAllowance = { allowed: true } | { allowed: false; reason: string } | null;

/**
 * null: no reaction button at all (a note, a message not sent yet, the business's own
 * message on WhatsApp); otherwise whether it works now, and why not.
 */
export function reactionAllowance(message: Message, kind: ChannelKind | undefined, windowOpen: boolean): ReactionAllowance {
  if (kind === undefined || message.direction === "note" || message.external_id === null) return null;
  if (kind === "whatsapp" && message.direction !== "inbound") return null;
  if (!windowOpen) {
    return { allowed: false, reason: "Reactions can be sent only within 24 hours of the customer's last message." };
  }
  return { allowed: true };
}

/** Quoting a message: WhatsApp only, and only a message that reached WhatsApp. */
export function canQuote(message: Message, kind: ChannelKind | undefined): boolean {
  return kind === "whatsapp" && message.direction !== "note" && message.external_id !== null;
}
