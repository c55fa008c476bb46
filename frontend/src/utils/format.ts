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

/** "812 B", "48 KB", "3.4 MB" for a file card; "" when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)} ${units[unit]}`;
}

/** "240 ms", "1.5 s", "4 min", "2 h" for a processing lag; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, "")} s`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min`;
  if (ms < DAY) return `${(ms / HOUR).toFixed(1).replace(/\.0$/, "")} h`;
  return `${Math.round(ms / DAY)} d`;
}

/** "€12.50" for an amount in a currency; "12.5 XYZ" when the code is not one Intl knows. */
export function formatMoney(amount: number, currency: string | null): string {
  if (currency !== null) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
    } catch {
      return `${amount} ${currency}`;
    }
  }
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(amount);
}

/** "20 Nov, 14:05:09" for an operations table (seconds matter there). */
export function dateTimeLabel(iso: string | null): string {
  if (iso === null) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
