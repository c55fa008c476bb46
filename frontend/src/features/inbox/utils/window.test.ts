import { describe, expect, it } from "vitest";

import { composerModeFor, formatSpan, modeForRefusal, windowBadge } from "./window";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();
const messenger = { id: "p", kind: "messenger" as const, name: "Page" };
const whatsapp = { id: "w", kind: "whatsapp" as const, name: "Number" };

describe("formatSpan", () => {
  it("to the minute, at least one", () => {
    expect(formatSpan(30_000)).toBe("1m");
    expect(formatSpan(45 * 60_000)).toBe("45m");
    expect(formatSpan(3 * HOUR + 12 * 60_000)).toBe("3h 12m");
    expect(formatSpan(5 * HOUR)).toBe("5h");
    expect(formatSpan(2 * 24 * HOUR + 4 * HOUR + 59_000)).toBe("2d 4h");
    expect(formatSpan(3 * 24 * HOUR)).toBe("3d");
  });
});

describe("composerModeFor", () => {
  it("follows Meta's rules per channel and time since the customer's last message", () => {
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(23.9) }, NOW).kind).toBe("free");
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(24) }, NOW).kind).toBe("human_agent");
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(24 * 7 - 0.1) }, NOW).kind).toBe("human_agent");
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(24 * 7) }, NOW).kind).toBe("blocked");
    expect(composerModeFor({ channel: messenger, last_inbound_at: null }, NOW).kind).toBe("blocked");
    expect(composerModeFor({ channel: whatsapp, last_inbound_at: at(1) }, NOW).kind).toBe("free");
    expect(composerModeFor({ channel: whatsapp, last_inbound_at: at(24) }, NOW).kind).toBe("template");
    expect(composerModeFor({ channel: whatsapp, last_inbound_at: at(24 * 30) }, NOW).kind).toBe("template");
  });

  it("says why", () => {
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(27) }, NOW).reason).toMatch(
      /^The 24-hour window closed 3h ago\. You can still reply as a person with Meta's HUMAN_AGENT tag until /,
    );
    expect(composerModeFor({ channel: whatsapp, last_inbound_at: at(26.5) }, NOW).reason).toBe(
      "The 24-hour window closed 2h 30m ago. WhatsApp only allows approved templates until the customer writes again.",
    );
    expect(composerModeFor({ channel: whatsapp, last_inbound_at: null }, NOW).reason).toMatch(/has not written yet/);
    expect(composerModeFor({ channel: messenger, last_inbound_at: at(200) }, NOW).reason).toMatch(/^Over 7 days/);
  });
});

describe("modeForRefusal", () => {
  it("maps the server's window refusals to a composer mode", () => {
    expect(modeForRefusal("template_required")).toBe("template");
    expect(modeForRefusal("window_closed")).toBe("blocked");
    expect(modeForRefusal("human_agent_window_expired")).toBe("blocked");
    expect(modeForRefusal("human_agent_only")).toBe("human_agent");
    expect(modeForRefusal("template_not_approved")).toBeNull();
    expect(modeForRefusal("channel_inactive")).toBeNull();
  });
});

describe("windowBadge", () => {
  it("counts down, amber in the last two hours, then says what is left", () => {
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(20.8) }, NOW)).toMatchObject({ tone: "open", label: "Window closes in 3h 12m" });
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(22.5) }, NOW)).toMatchObject({ tone: "expiring", label: "Window closes in 1h 30m" });
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(25) }, NOW)).toMatchObject({ tone: "closed", label: "Closed — template only" });
    expect(windowBadge({ channel: messenger, last_inbound_at: at(25) }, NOW).label).toMatch(/^HUMAN_AGENT until \w+ /);
    expect(windowBadge({ channel: messenger, last_inbound_at: at(200) }, NOW)).toMatchObject({ tone: "closed", label: "Closed — customer must write" });
  });

  it("has a short form for a narrow header", () => {
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(20.8) }, NOW).short).toBe("3h 12m left");
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(22.5) }, NOW).short).toBe("1h 30m left");
    expect(windowBadge({ channel: whatsapp, last_inbound_at: at(25) }, NOW).short).toBe("Template only");
    const humanAgent = windowBadge({ channel: messenger, last_inbound_at: at(25) }, NOW);
    expect(humanAgent.short).toBe("HUMAN_AGENT");
    // Until when is still there, in the tooltip.
    expect(humanAgent.title).toContain(humanAgent.label.replace("HUMAN_AGENT until ", ""));
    expect(windowBadge({ channel: messenger, last_inbound_at: at(200) }, NOW).short).toBe("Closed");
  });
});
