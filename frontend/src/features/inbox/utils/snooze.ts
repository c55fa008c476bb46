/** Status changes from the thread header: the primary action and the snooze presets (local time). */
import type { ConversationStatus } from "@/lib/api/types";

/** Resolve an open or pending conversation; reopen a resolved or snoozed one. */
export function primaryStatusAction(status: ConversationStatus): { label: string; to: "open" | "resolved" } {
  return status === "resolved" || status === "snoozed" ? { label: "Reopen", to: "open" } : { label: "Resolve", to: "resolved" };
}


export interface SnoozePreset {
  id: "hour" | "tomorrow" | "monday";
  label: string;
  at: (now: Date) => Date;
}

function atNine(day: Date): Date {
  const at = new Date(day);
  at.setHours(9, 0, 0, 0);
  return at;
}

/** Tomorrow at 9:00. */
export function tomorrowMorning(now: Date): Date {
  const day = new Date(now);
  day.setDate(day.getDate() + 1);
  return atNine(day);
}

/** The next Monday at 9:00 (a week ahead when today is Monday). */
export function nextMondayMorning(now: Date): Date {
  const day = new Date(now);
  const ahead = (8 - day.getDay()) % 7 || 7;
  day.setDate(day.getDate() + ahead);
  return atNine(day);
}

export const SNOOZE_PRESETS: readonly SnoozePreset[] = [
  { id: "hour", label: "1 hour", at: (now) => new Date(now.getTime() + 3_600_000) },
  { id: "tomorrow", label: "Tomorrow 9:00", at: tomorrowMorning },
  { id: "monday", label: "Next Monday 9:00", at: nextMondayMorning },
];

/** The value of an `<input type="datetime-local">` for a moment (local time, to the minute). */
export function toLocalInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Snoozing is allowed up to a year ahead (the server's MAX_SNOOZE). */
export const MAX_SNOOZE_DAYS = 365;

/** Why a custom snooze time cannot be used; null when it can. */
export function snoozeProblem(value: string, now: Date): string | null {
  if (value === "") return "Choose a date and time.";
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return "That is not a valid date and time.";
  if (at.getTime() <= now.getTime()) return "Choose a time in the future.";
  if (at.getTime() > now.getTime() + MAX_SNOOZE_DAYS * 86_400_000) return "A conversation can be snoozed for at most a year.";
  return null;
}

/** "Tue 21 Nov, 09:00". */
export function snoozeUntilLabel(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}
