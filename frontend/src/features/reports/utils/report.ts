import type { ChannelKind, ReportChannelDay, ReportExpiringToken, ReportOverview } from "@/lib/api/types";
import { daysUntil, inDays } from "@/utils/format";

/** The quick ranges offered above the report, in days (today included). */
export const RANGE_PRESETS = [7, 14, 30] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const DEFAULT_PRESET: RangePreset = 14;
/** The longest period the API reports on. */
export const MAX_DAYS = 92;

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The counts every row of the report carries. */
export interface Counts {
  inbound: number;
  outbound: number;
  delivered: number;
  read: number;
  failed: number;
}

export interface DayTotals extends Counts {
  date: string;
}

export interface Summary extends Counts {
  /** delivered / outbound (0..1), null without replies. */
  deliveryRate: number | null;
  readRate: number | null;
}

export interface ChannelDayRow extends Counts {
  date: string;
  channelId: string;
  channelName: string;
  kind: ChannelKind | null;
  deliveryRate: number | null;
  readRate: number | null;
}

const ZERO: Counts = { inbound: 0, outbound: 0, delivered: 0, read: 0, failed: 0 };

function parseIsoDate(iso: string): number | null {
  if (!ISO_DATE.test(iso)) return null;
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  const time = Date.UTC(y, m - 1, d);
  // Reject dates that roll over (2026-02-30).
  return new Date(time).toISOString().slice(0, 10) === iso ? time : null;
}

/** A calendar date as YYYY-MM-DD (no time zone involved: pure calendar arithmetic). */
function formatIsoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Today's date where the browser is, as YYYY-MM-DD. */
export function localToday(now: Date = new Date()): string {
  return formatIsoDate(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

/** The browser's IANA time zone ("Europe/Lisbon"); the report's days are cut in it. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function addDays(iso: string, days: number): string {
  const time = parseIsoDate(iso);
  if (time === null) throw new Error(`not a date: ${iso}`);
  return formatIsoDate(time + days * DAY_MS);
}

/** Days from `from` to `to`, both included (0 when the range is backwards or invalid). */
export function daysIn(from: string, to: string): number {
  const start = parseIsoDate(from);
  const end = parseIsoDate(to);
  if (start === null || end === null || end < start) return 0;
  return Math.round((end - start) / DAY_MS) + 1;
}

/** The last `days` days up to `today`, both included. */
export function presetRange(days: number, today: string): { from: string; to: string } {
  return { from: addDays(today, -(days - 1)), to: today };
}

/** Why a custom range cannot be asked for, or null when it can. */
export function rangeProblem(from: string, to: string): string | null {
  if (parseIsoDate(from) === null || parseIsoDate(to) === null) return "Choose both a start and an end date.";
  if (daysIn(from, to) === 0) return "The start date is after the end date.";
  if (daysIn(from, to) > MAX_DAYS) return `A report covers at most ${MAX_DAYS} days.`;
  return null;
}

export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** "60%", "4.5%", "99.9%" (never "100%" unless every one was), "—" without replies. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const percent = value * 100;
  if (percent > 99 && percent < 100) return `${(Math.floor(percent * 10) / 10).toFixed(1)}%`;
  if (percent < 10) return `${percent.toFixed(1).replace(/\.0$/, "")}%`;
  return `${Math.round(percent)}%`;
}

function add(into: Counts, row: Counts): void {
  into.inbound += row.inbound;
  into.outbound += row.outbound;
  into.delivered += row.delivered;
  into.read += row.read;
  into.failed += row.failed;
}

/** Every day of the period (quiet days as zeros), summed over the report's channels. */
export function dailySeries(report: Pick<ReportOverview, "from" | "to" | "days">): DayTotals[] {
  const byDate = new Map<string, Counts>();
  for (const day of report.days) {
    const total = byDate.get(day.date) ?? { ...ZERO };
    add(total, day);
    byDate.set(day.date, total);
  }
  const count = daysIn(report.from, report.to);
  return Array.from({ length: count }, (_, i) => {
    const date = addDays(report.from, i);
    return { date, ...(byDate.get(date) ?? ZERO) };
  });
}

/** The period's totals over the report's channels, with the rates. */
export function summarize(report: Pick<ReportOverview, "days">): Summary {
  const total = { ...ZERO };
  for (const day of report.days) add(total, day);
  return { ...total, deliveryRate: rate(total.delivered, total.outbound), readRate: rate(total.read, total.outbound) };
}

/** The per channel and day table: newest day first, then by channel name. */
export function channelDayRows(report: Pick<ReportOverview, "days" | "channels">): ChannelDayRow[] {
  const channels = new Map(report.channels.map((c) => [c.channel_id, c]));
  const rows = report.days.map((day: ReportChannelDay) => {
    const channel = channels.get(day.channel_id);
    return {
      date: day.date,
      channelId: day.channel_id,
      channelName: channel?.name ?? "Removed channel",
      kind: channel?.kind ?? null,
      inbound: day.inbound,
      outbound: day.outbound,
      delivered: day.delivered,
      read: day.read,
      failed: day.failed,
      deliveryRate: rate(day.delivered, day.outbound),
      readRate: rate(day.read, day.outbound),
    };
  });
  return rows.sort((a, b) => b.date.localeCompare(a.date) || a.channelName.localeCompare(b.channelName));
}

/** "Mon 5 Oct" for a YYYY-MM-DD day (no time zone shift: the API already cut the days). */
export function dayLabel(iso: string, { weekday = true }: { weekday?: boolean } = {}): string {
  const time = parseIsoDate(iso);
  if (time === null) return iso;
  return new Date(time).toLocaleDateString(undefined, {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    ...(weekday ? { weekday: "short" } : {}),
  });
}

/** "21 Nov, 12:15" for when something last happened (in the browser's zone). */
export function momentLabel(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** "5 – 18 Oct 2026" for the period's heading. */
export function periodLabel(from: string, to: string): string {
  const start = parseIsoDate(from);
  const end = parseIsoDate(to);
  if (start === null || end === null) return `${from} – ${to}`;
  const format = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
  return format.formatRange(new Date(start), new Date(end));
}

/** A round number just above `value` for the scale ("1,200" rather than "1,137"). */
export function niceMax(value: number): number {
  if (value <= 5) return Math.max(value, 1);
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

/** What is wrong with the channel's access, in words. */
export function tokenProblem(token: ReportExpiringToken, now: number): { severe: boolean; text: string } {
  if (token.status === "needs_reauth") return { severe: true, text: "Access lost: reconnect it" };
  const days = daysUntil(token.token_expires_at, now);
  if (days === null) return { severe: true, text: "Access has expired: reconnect it" };
  return { severe: days < 3, text: `Access expires ${inDays(days)}` };
}
