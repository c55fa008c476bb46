import { describe, expect, it } from "vitest";

import type { AuditLogEntry } from "@/lib/api/types";

import { actionLabel, actorLabel, detailValue, groupActions, targetLabel } from "./actions";

function entry(overrides: Partial<AuditLogEntry> = {}): AuditLogEntry {
  return {
    id: "a1",
    created_at: "2026-11-20T10:00:00Z",
    action: "team.role_changed",
    actor: { type: "user", user_id: "u1", api_key_id: null, label: "owner@acme.test" },
    target: { type: "user", id: "u2", label: "ann@acme.test" },
    ip: "203.0.113.9",
    user_agent: "Firefox",
    details: {},
    ...overrides,
  };
}

describe("audit action words", () => {
  it("names known actions in words and unknown ones plainly", () => {
    expect(actionLabel("auth.login_succeeded")).toBe("Signed in");
    expect(actionLabel("auth.login_failed")).toBe("Failed sign-in");
    expect(actionLabel("team.invitation_created")).toBe("Invited");
    expect(actionLabel("channel.connected")).toBe("Connected channel");
    expect(actionLabel("api_key.created")).toBe("Created API key");
    expect(actionLabel("billing.plan_changed")).toBe("Plan changed");
    expect(actionLabel("oddity")).toBe("Oddity");
  });

  it("groups actions by area in the server's order", () => {
    expect(groupActions(["auth.login_succeeded", "team.invitation_created", "auth.login_failed", "api_key.created"])).toEqual([
      { group: "auth", label: "Sign-in", actions: ["auth.login_succeeded", "auth.login_failed"] },
      { group: "team", label: "Team", actions: ["team.invitation_created"] },
      { group: "api_key", label: "API keys", actions: ["api_key.created"] },
    ]);
  });

  it("names the actor by kind", () => {
    expect(actorLabel(entry(), "Olivia Owner")).toBe("Olivia Owner");
    expect(actorLabel(entry())).toBe("owner@acme.test");
    expect(actorLabel(entry({ actor: { type: "user", user_id: null, api_key_id: null, label: null } }))).toBe("A former member");
    expect(actorLabel(entry({ actor: { type: "system", user_id: null, api_key_id: null, label: "Meta" } }))).toBe("Meta");
    expect(actorLabel(entry({ actor: { type: "system", user_id: null, api_key_id: null, label: null } }))).toBe("Parley");
    expect(actorLabel(entry({ actor: { type: "anonymous", user_id: null, api_key_id: null, label: null } }))).toBe("Someone");
  });

  it("names the target, falling back to its id", () => {
    expect(targetLabel(entry())).toBe("ann@acme.test");
    expect(targetLabel(entry({ target: { type: "channel", id: "c1", label: null } }))).toBe("c1");
    expect(targetLabel(entry({ target: null }))).toBeNull();
  });

  it("reads details values", () => {
    expect(detailValue({ from: "agent", to: "admin" })).toBe("agent → admin");
    expect(detailValue({ from: false, to: true })).toBe("off → on");
    expect(detailValue(["a", "b"])).toBe('["a","b"]');
    expect(detailValue(null)).toBe("—");
  });
});
