import type { ChannelKind, ConversationWindow } from "@/lib/api/types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "AB" from "Ada Byron"; one letter for one word; "?" for nothing usable. */
export function initials(name: string | null | undefined): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  if (first === undefined) return "?";
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  return ((first[0] ?? "") + (last?.[0] ?? "")).toUpperCase();
}

/** Compact time for a list row: "now", "5m", "3h", "Yesterday", "Mon", "12 Mar", "12 Mar 2024". */
export function relativeTime(iso: string | null, now: number = Date.now()): string {
  if (iso === null) return "";
  const then = new Date(iso);
  const diff = now - then.getTime();
  if (Number.isNaN(diff)) return "";
  if (diff < MINUTE) return "now";
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (then.getTime() >= startOfToday) return `${Math.floor(diff / HOUR)}h`;
  if (then.getTime() >= startOfToday - DAY) return "Yesterday";
  if (then.getTime() >= startOfToday - 6 * DAY) return then.toLocaleDateString(undefined, { weekday: "short" });
  const sameYear = then.getFullYear() === today.getFullYear();
  return then.toLocaleDateString(undefined, {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** "14:05" for a message bubble. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** "Today", "Yesterday" or a date, for day separators in a thread. */
export function dayLabel(iso: string, now: number = Date.now()): string {
  const then = new Date(iso);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (then.getTime() >= startOfToday) return "Today";
  if (then.getTime() >= startOfToday - DAY) return "Yesterday";
  return then.toLocaleDateString(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(then.getFullYear() === today.getFullYear() ? {} : { year: "numeric" }),
  });
}

/** "23h", "45m", "2d" until a moment; null once it has passed. */
export function timeUntil(iso: string | null, now: number = Date.now()): string | null {
  if (iso === null) return null;
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff) || diff <= 0) return null;
  if (diff < HOUR) return `${Math.max(1, Math.floor(diff / MINUTE))}m`;
  if (diff < 2 * DAY) return `${Math.floor(diff / HOUR)}h`;
  return `${Math.floor(diff / DAY)}d`;
}

export type WindowTone = "open" | "human_agent" | "closed";

/** What Meta's messaging window currently allows, as a short label. */
export function windowLabel(window: ConversationWindow, now: number = Date.now()): { tone: WindowTone; label: string } {
  const left = timeUntil(window.expires_at, now);
  if (window.state === "open") {
    if (window.expires_at !== null && left === null) return { tone: "closed", label: "Window closed" };
    return { tone: "open", label: left === null ? "Window open" : `Window open · closes in ${left}` };
  }
  if (window.state === "human_agent") {
    if (window.expires_at !== null && left === null) return { tone: "closed", label: "Window closed" };
    return { tone: "human_agent", label: left === null ? "Human agent window" : `Human agent window · ${left} left` };
  }
  return { tone: "closed", label: "Window closed" };
}

/** "Messenger" / "WhatsApp". */
export function channelLabel(kind: ChannelKind): string {
  return kind === "whatsapp" ? "WhatsApp" : "Messenger";
}

/** "just now", "5m ago", "3h ago", then the list-row form ("Yesterday", "Mon", "12 Mar"). */
export function agoLabel(iso: string | null, now: number = Date.now()): string {
  const short = relativeTime(iso, now);
  if (short === "now") return "just now";
  return /^\d+[mh]$/.test(short) ? `${short} ago` : short;
}

/** Whole days left until a moment (0 on its last day); null when unknown or passed. */
export function daysUntil(iso: string | null, now: number = Date.now()): number | null {
  if (iso === null) return null;
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff) || diff <= 0) return null;
  return Math.floor(diff / DAY);
}

/** "in 5 days", "in 1 day", "today". */
export function inDays(days: number): string {
  if (days <= 0) return "today";
  return `in ${days} ${days === 1 ? "day" : "days"}`;
}
