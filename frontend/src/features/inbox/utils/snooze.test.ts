import { describe, expect, it } from "vitest";

import { nextMondayMorning, primaryStatusAction, snoozeProblem, toLocalInputValue, tomorrowMorning } from "./snooze";

describe("snooze presets (local time)", () => {
  it("tomorrow at 9:00", () => {
    expect(tomorrowMorning(new Date(2026, 10, 24, 22, 15))).toEqual(new Date(2026, 10, 25, 9, 0));
    expect(tomorrowMorning(new Date(2026, 11, 31, 8, 0))).toEqual(new Date(2027, 0, 1, 9, 0));
  });

  it("next Monday at 9:00, a week ahead on a Monday", () => {
    expect(nextMondayMorning(new Date(2026, 10, 25, 10, 0))).toEqual(new Date(2026, 10, 30, 9, 0)); // Wednesday
    expect(nextMondayMorning(new Date(2026, 10, 29, 23, 0))).toEqual(new Date(2026, 10, 30, 9, 0)); // Sunday
    expect(nextMondayMorning(new Date(2026, 10, 30, 8, 0))).toEqual(new Date(2026, 11, 7, 9, 0)); // Monday
  });

  it("checks a custom time", () => {
    const now = new Date(2026, 10, 24, 12, 0);
    expect(snoozeProblem("", now)).toBe("Choose a date and time.");
    expect(snoozeProblem("2026-11-24T11:59", now)).toBe("Choose a time in the future.");
    expect(snoozeProblem("2028-01-01T09:00", now)).toBe("A conversation can be snoozed for at most a year.");
    expect(snoozeProblem(toLocalInputValue(new Date(2026, 10, 25, 9, 0)), now)).toBeNull();
    expect(toLocalInputValue(new Date(2026, 0, 5, 7, 3))).toBe("2026-01-05T07:03");
  });
});

describe("primaryStatusAction", () => {
  it("resolves what is open or pending, reopens what is resolved or snoozed", () => {
    expect(primaryStatusAction("open")).toEqual({ label: "Resolve", to: "resolved" });
    expect(primaryStatusAction("pending")).toEqual({ label: "Resolve", to: "resolved" });
    expect(primaryStatusAction("resolved")).toEqual({ label: "Reopen", to: "open" });
    expect(primaryStatusAction("snoozed")).toEqual({ label: "Reopen", to: "open" });
  });
});
