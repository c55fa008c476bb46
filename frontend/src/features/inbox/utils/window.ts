/**
 * Meta's messaging rules as the composer and the thread header show them: what an agent may
 * send now, why, and until when. The server decides (api.inbox.policy); this mirrors it so
 * the UI can say so before a send is refused, and switches when the server says otherwise.
 */
import type { ChannelKind, Conversation } from "@/lib/api/types";
import { windowAt, type WindowAt } from "@/lib/inbox-cache";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The customer-service window both channels open with each customer message. */
export const STANDARD_WINDOW_MS = DAY;

export type ComposerModeKind = "free" | "human_agent" | "template" | "blocked";

export interface ComposerMode {
  kind: ComposerModeKind;
  /** Why the composer looks the way it does (null for an open window). */
  reason: string | null;
}

type WindowConversation = Pick<Conversation, "last_inbound_at" | "channel">;

/** "3h 12m", "45m", "2d 4h": how long, to the minute (at least 1m). */
export function formatSpan(ms: number): string {
  const minutes = Math.max(1, Math.floor(ms / MINUTE));
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return mins > 0 ? `${hours}h ${mins}m` : `${hours}h`;
  return `${mins}m`;
}

/** "Tue 14:00": a moment within the coming week, in the agent's time zone. */
export function weekdayTime(ms: number): string {
  const date = new Date(ms);
  const day = date.toLocaleDateString(undefined, { weekday: "short" });
  const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return `${day} ${time}`;
}

function closedAgo(conversation: WindowConversation, now: number): string | null {
  if (conversation.last_inbound_at === null) return null;
  const closedAt = Date.parse(conversation.last_inbound_at) + STANDARD_WINDOW_MS;
  return Number.isNaN(closedAt) || closedAt > now ? null : `${formatSpan(now - closedAt)} ago`;
}

/** The window now, from the customer's last message (the payload's `window` goes stale). */
export function currentWindow(conversation: WindowConversation, now: number): WindowAt {
  return windowAt(conversation, now);
}

/** What the reply composer allows on this conversation now, and the sentence saying why. */
export function composerModeFor(conversation: WindowConversation, now: number): ComposerMode {
  const window = currentWindow(conversation, now);
  const kind: ChannelKind = conversation.channel.kind;
  const ago = closedAgo(conversation, now);
  if (window.state === "open") return { kind: "free", reason: null };
  if (kind === "whatsapp") {
    return {
      kind: "template",
      reason:
        ago === null
          ? "The customer has not written yet: WhatsApp only lets you start a conversation with an approved template."
          : `The 24-hour window closed ${ago}. WhatsApp only allows approved templates until the customer writes again.`,
    };
  }
  if (window.state === "human_agent" && window.expiresAt !== null) {
    return {
      kind: "human_agent",
      reason: `The 24-hour window closed ${ago ?? "a while ago"}. You can still reply as a person with Meta's HUMAN_AGENT tag until ${weekdayTime(window.expiresAt)}.`,
    };
  }
  return {
    kind: "blocked",
    reason:
      conversation.last_inbound_at === null
        ? "The customer has not written to the page yet; Messenger allows no message until they do."
        : "Over 7 days since the customer last wrote: Messenger allows no reply until they write again.",
  };
}

/**
 * The mode a refused send points to (the server is the authority: the window may have
 * closed while the page was open); null when the refusal is not about the window.
 */
export function modeForRefusal(code: string): ComposerModeKind | null {
  switch (code) {
    case "template_required":
      return "template";
    case "window_closed":
    case "human_agent_window_expired":
      return "blocked";
    case "human_agent_only":
      return "human_agent";
    default:
      return null;
  }
}

export type WindowBadgeTone = "open" | "expiring" | "human_agent" | "closed";

export interface WindowBadgeText {
  tone: WindowBadgeTone;
  label: string;
  /** The label where the header has little room (a phone, a narrow thread pane). */
  short: string;
  title: string;
}

/** The thread header's badge: "Window closes in 3h 12m", "HUMAN_AGENT until Tue 14:00"... */
export function windowBadge(conversation: WindowConversation, now: number): WindowBadgeText {
  const window = currentWindow(conversation, now);
  if (window.state === "open" && window.expiresAt !== null) {
    const left = formatSpan(window.expiresAt - now);
    return {
      tone: window.expiring ? "expiring" : "open",
      label: `Window closes in ${left}`,
      short: `${left} left`,
      title: `Free-form replies are allowed until ${weekdayTime(window.expiresAt)} (24 hours after the customer's last message).`,
    };
  }
  if (window.state === "human_agent" && window.expiresAt !== null) {
    return {
      tone: "human_agent",
      label: `HUMAN_AGENT until ${weekdayTime(window.expiresAt)}`,
      short: "HUMAN_AGENT",
      title: `The 24-hour window has closed; a person may still reply with Meta's HUMAN_AGENT tag until ${weekdayTime(window.expiresAt)} (7 days).`,
    };
  }
  if (conversation.channel.kind === "whatsapp") {
    return {
      tone: "closed",
      label: "Closed — template only",
      short: "Template only",
      title: "Outside the 24-hour window WhatsApp only allows approved templates.",
    };
  }
  return {
    tone: "closed",
    label: "Closed — customer must write",
    short: "Closed",
    title: "Messenger allows no reply until the customer writes again.",
  };
}
