import { describe, expect, it } from "vitest";

import { buildChannel } from "@/testing/fixtures";

import { attentionMessage, canReconnect, healthLabel, needsAttention } from "./health";

const NOW = Date.parse("2026-11-21T12:00:00Z");

describe("channel health", () => {
  it("labels each state, counting whole days to expiry", () => {
    expect(healthLabel(buildChannel(), NOW)).toEqual({ tone: "ok", label: "Connected" });
    const expiring = buildChannel({ health: "expiring", token_expires_at: "2026-11-24T13:00:00Z" });
    expect(healthLabel(expiring, NOW)).toEqual({ tone: "expiring", label: "Token expires in 3 days" });
    expect(healthLabel({ ...expiring, token_expires_at: "2026-11-21T18:00:00Z" }, NOW).label).toBe("Token expires today");
    expect(healthLabel({ ...expiring, token_expires_at: null }, NOW).label).toBe("Token expires soon");
    expect(healthLabel(buildChannel({ status: "needs_reauth", health: "needs_reauth" }), NOW).label).toBe("Needs reconnect");
    // The status wins over a stale health: a disconnected channel is not "expiring".
    expect(healthLabel(buildChannel({ status: "disconnected", health: "expiring" }), NOW).tone).toBe("disconnected");
  });

  it("flags only live channels that lost or are losing access", () => {
    const expiring = buildChannel({ name: "Line", health: "expiring", token_expires_at: "2026-11-23T13:00:00Z" });
    const lost = buildChannel({ name: "Page", status: "needs_reauth", health: "needs_reauth" });
    const gone = buildChannel({ status: "disconnected", health: "disconnected" });
    expect([buildChannel(), expiring, lost, gone].map(needsAttention)).toEqual([false, true, true, false]);
    expect([buildChannel(), expiring, lost, gone].map(canReconnect)).toEqual([false, true, true, true]);
    expect(attentionMessage(expiring, NOW)).toBe("Line's access expires in 2 days");
    expect(attentionMessage(lost, NOW)).toBe("Page needs to be reconnected");
  });
});
