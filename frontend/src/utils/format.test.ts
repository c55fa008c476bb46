import { describe, expect, it } from "vitest";

import { agoLabel, daysUntil, formatBytes, formatDuration, inDays, initials, relativeTime, timeUntil, windowLabel } from "./format";

const NOW = Date.parse("2026-11-21T12:00:00Z");

describe("format", () => {
  it("initials", () => {
    expect(initials("Ada Byron Lovelace")).toBe("AL");
    expect(initials("ada")).toBe("A");
    expect(initials("  ")).toBe("?");
    expect(initials(null)).toBe("?");
  });

  it("relativeTime", () => {
    expect(relativeTime(null, NOW)).toBe("");
    expect(relativeTime("2026-11-21T11:59:30Z", NOW)).toBe("now");
    expect(relativeTime("2026-11-21T11:15:00Z", NOW)).toBe("45m");
  });

  it("timeUntil", () => {
    expect(timeUntil("2026-11-22T11:00:00Z", NOW)).toBe("23h");
    expect(timeUntil("2026-11-21T12:30:00Z", NOW)).toBe("30m");
    expect(timeUntil("2026-11-28T12:00:00Z", NOW)).toBe("7d");
    expect(timeUntil("2026-11-21T11:00:00Z", NOW)).toBeNull();
  });

  it("windowLabel", () => {
    expect(windowLabel({ state: "open", expires_at: "2026-11-22T11:00:00Z" }, NOW)).toEqual({
      tone: "open",
      label: "Window open · closes in 23h",
    });
    expect(windowLabel({ state: "human_agent", expires_at: null }, NOW)).toEqual({
      tone: "human_agent",
      label: "Human agent window",
    });
    expect(windowLabel({ state: "closed", expires_at: null }, NOW).label).toBe("Window closed");
    // An "open" window whose expiry has passed is closed, whatever the last snapshot said.
    expect(windowLabel({ state: "open", expires_at: "2026-11-21T11:00:00Z" }, NOW).tone).toBe("closed");
  });
});

describe("channel times", () => {
  it("agoLabel", () => {
    expect(agoLabel(null, NOW)).toBe("");
    expect(agoLabel("2026-11-21T11:59:30Z", NOW)).toBe("just now");
    expect(agoLabel("2026-11-21T11:15:00Z", NOW)).toBe("45m ago");
  });

  it("daysUntil and inDays", () => {
    expect(daysUntil("2026-11-26T12:01:00Z", NOW)).toBe(5);
    expect(daysUntil("2026-11-21T20:00:00Z", NOW)).toBe(0);
    expect(daysUntil("2026-11-20T12:00:00Z", NOW)).toBeNull();
    expect(daysUntil(null, NOW)).toBeNull();
    expect(inDays(5)).toBe("in 5 days");
    expect(inDays(1)).toBe("in 1 day");
    expect(inDays(0)).toBe("today");
  });

  it("formatBytes", () => {
    expect(formatBytes(null)).toBe("");
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(48_213)).toBe("47 KB");
    expect(formatBytes(1_258_291)).toBe("1.2 MB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5 MB");
  });

  it("formatDuration", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(240)).toBe("240 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(4 * 60_000)).toBe("4 min");
    expect(formatDuration(2 * 3_600_000)).toBe("2 h");
  });
});
