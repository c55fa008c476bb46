import { describe, expect, it } from "vitest";

import type { ReportOverview } from "@/lib/api/types";

import {
  addDays,
  channelDayRows,
  dailySeries,
  daysIn,
  formatRate,
  localToday,
  niceMax,
  presetRange,
  rangeProblem,
  summarize,
  tokenProblem,
} from "./report";

const PAGE = "ch-page";
const WA = "ch-wa";

function day(date: string, channel_id: string, counts: Partial<ReportOverview["days"][number]> = {}) {
  return { date, channel_id, inbound: 0, outbound: 0, delivered: 0, read: 0, failed: 0, ...counts };
}

const report: Pick<ReportOverview, "from" | "to" | "days" | "channels"> = {
  from: "2026-10-30",
  to: "2026-11-02",
  days: [
    day("2026-10-30", PAGE, { inbound: 3, outbound: 5, delivered: 3, read: 1, failed: 1 }),
    day("2026-10-30", WA, { inbound: 1 }),
    day("2026-11-02", WA, { inbound: 2, outbound: 3, delivered: 2, read: 2 }),
  ],
  channels: [
    { channel_id: PAGE, name: "Acme Page", kind: "messenger", status: "active", inbound: 3, outbound: 5, delivered: 3, read: 1, failed: 1, delivery_rate: 0.6, read_rate: 0.2 },
    { channel_id: WA, name: "Acme WhatsApp", kind: "whatsapp", status: "active", inbound: 3, outbound: 3, delivered: 2, read: 2, failed: 0, delivery_rate: 0.6667, read_rate: 0.6667 },
  ],
};

describe("report data", () => {
  it("fills every day of the period, summing the channels, quiet days as zeros", () => {
    const series = dailySeries(report);
    expect(series.map((d) => d.date)).toEqual(["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]);
    expect(series[0]).toEqual({ date: "2026-10-30", inbound: 4, outbound: 5, delivered: 3, read: 1, failed: 1 });
    expect(series[1]).toEqual({ date: "2026-10-31", inbound: 0, outbound: 0, delivered: 0, read: 0, failed: 0 });
    expect(series[3]?.outbound).toBe(3);
  });

  it("sums the period and rates delivery and reads against replies sent", () => {
    expect(summarize(report)).toEqual({
      inbound: 6,
      outbound: 8,
      delivered: 5,
      read: 3,
      failed: 1,
      deliveryRate: 5 / 8,
      readRate: 3 / 8,
    });
    expect(summarize({ days: [day("2026-10-30", PAGE, { inbound: 2 })] }).deliveryRate).toBeNull();
  });

  it("lists channel days newest first with the channel's name and its own rates", () => {
    const rows = channelDayRows(report);
    expect(rows.map((r) => [r.date, r.channelName])).toEqual([
      ["2026-11-02", "Acme WhatsApp"],
      ["2026-10-30", "Acme Page"],
      ["2026-10-30", "Acme WhatsApp"],
    ]);
    expect(rows[1]).toMatchObject({ kind: "messenger", deliveryRate: 0.6, readRate: 0.2 });
    expect(rows[2]?.deliveryRate).toBeNull();
    const orphan = channelDayRows({ days: [day("2026-10-30", "gone")], channels: [] });
    expect(orphan[0]).toMatchObject({ channelName: "Removed channel", kind: null });
  });
});

describe("periods", () => {
  it("counts days with both ends included, across months and DST changes", () => {
    expect(daysIn("2026-10-30", "2026-11-02")).toBe(4);
    expect(daysIn("2026-03-28", "2026-03-30")).toBe(3);
    expect(daysIn("2026-10-07", "2026-10-01")).toBe(0);
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
  });

  it("ends quick ranges today", () => {
    expect(presetRange(7, "2026-11-22")).toEqual({ from: "2026-11-16", to: "2026-11-22" });
    expect(presetRange(30, "2026-03-01")).toEqual({ from: "2026-01-31", to: "2026-03-01" });
    expect(localToday(new Date(2026, 10, 22, 23, 59))).toBe("2026-11-22");
  });

  it("says what is wrong with a custom range", () => {
    expect(rangeProblem("2026-10-01", "2026-10-07")).toBeNull();
    expect(rangeProblem("2026-10-07", "2026-10-01")).toBe("The start date is after the end date.");
    expect(rangeProblem("", "2026-10-01")).toBe("Choose both a start and an end date.");
    expect(rangeProblem("2026-02-30", "2026-03-01")).toBe("Choose both a start and an end date.");
    expect(rangeProblem("2026-01-01", "2026-04-02")).toBeNull();
    expect(rangeProblem("2026-01-01", "2026-04-03")).toBe("A report covers at most 92 days.");
  });
});

describe("formatting", () => {
  it("shows rates as percentages that never round up to a perfect score", () => {
    expect(formatRate(0.6)).toBe("60%");
    expect(formatRate(2 / 3)).toBe("67%");
    expect(formatRate(0.045)).toBe("4.5%");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(0.9996)).toBe("99.9%");
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(null)).toBe("—");
  });

  it("rounds the chart's scale up to a readable number", () => {
    expect(niceMax(3)).toBe(3);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(137)).toBe(200);
    expect(niceMax(1137)).toBe(2000);
    expect(niceMax(240)).toBe(250);
  });

  it("words a channel's access problem by how soon it bites", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const token = { channel_id: "c", name: "Acme", kind: "whatsapp" as const, status: "active" as const, token_expires_at: "2026-11-25T13:00:00Z" };
    expect(tokenProblem(token, now)).toEqual({ severe: false, text: "Access expires in 3 days" });
    expect(tokenProblem({ ...token, token_expires_at: "2026-11-23T13:00:00Z" }, now)).toEqual({ severe: true, text: "Access expires in 1 day" });
    expect(tokenProblem({ ...token, token_expires_at: "2026-11-20T13:00:00Z" }, now).text).toBe("Access has expired: reconnect it");
    expect(tokenProblem({ ...token, status: "needs_reauth", token_expires_at: null }, now)).toEqual({ severe: true, text: "Access lost: reconnect it" });
  });
});
