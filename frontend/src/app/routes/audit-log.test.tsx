import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { AuditLogEntry, Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type RecordedRequest, type StubHandler } from "@/testing/api-stub";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const ACTIONS = [
  "auth.login_succeeded",
  "auth.login_failed",
  "team.invitation_created",
  "team.role_changed",
  "channel.connected",
  "channel.token_revoked",
  "api_key.created",
];

const MEMBERS = [
  { id: "u1", name: "Olivia Owner", email: "owner@acme.test", role: "owner" },
  { id: "u2", name: null, email: "ann@acme.test", role: "agent" },
];

function entry(overrides: Partial<AuditLogEntry>): AuditLogEntry {
  return {
    id: "a0",
    created_at: "2026-11-20T10:00:00Z",
    action: "auth.login_succeeded",
    actor: { type: "user", user_id: "u1", api_key_id: null, label: "owner@acme.test" },
    target: null,
    ip: "203.0.113.9",
    user_agent: "Mozilla/5.0 Firefox/140",
    details: {},
    ...overrides,
  };
}

const roleChange = entry({
  id: "a3",
  created_at: "2026-11-20T10:03:00Z",
  action: "team.role_changed",
  target: { type: "user", id: "u2", label: "ann@acme.test" },
  details: { from: "agent", to: "admin" },
});
const failedLogin = entry({
  id: "a2",
  created_at: "2026-11-20T10:02:00Z",
  action: "auth.login_failed",
  actor: { type: "anonymous", user_id: null, api_key_id: null, label: "ann@acme.test" },
  ip: "198.51.100.7",
  user_agent: "curl/8.5",
});
const connected = entry({
  id: "a1",
  created_at: "2026-11-20T10:01:00Z",
  action: "channel.connected",
  target: { type: "channel", id: "ch1", label: "Acme Support" },
  details: { kind: "messenger", external_id: "104000000000001" },
});
const revoked = entry({
  id: "a0",
  action: "channel.token_revoked",
  actor: { type: "system", user_id: null, api_key_id: null, label: "Meta" },
  target: { type: "channel", id: "ch1", label: "Acme Support" },
  ip: null,
  user_agent: null,
});
const ALL = [roleChange, failedLogin, connected, revoked];

function matches(request: RecordedRequest, e: AuditLogEntry): boolean {
  const action = request.query.get("action");
  const user = request.query.get("actor_user_id");
  const type = request.query.get("actor_type");
  const since = request.query.get("since");
  const until = request.query.get("until");
  if (action !== null && (action.endsWith(".") ? !e.action.startsWith(action) : e.action !== action)) return false;
  if (user !== null && e.actor.user_id !== user) return false;
  if (type !== null && e.actor.type !== type) return false;
  if (since !== null && e.created_at < since) return false;
  if (until !== null && e.created_at >= until) return false;
  return true;
}

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/team/members": () => jsonResponse(200, MEMBERS),
    "GET /api/audit-logs/actions": () => jsonResponse(200, ACTIONS),
    "GET /api/audit-logs": (request) => jsonResponse(200, { items: ALL.filter((e) => matches(request, e)), next_cursor: null }),
    ...extra,
  });
}

const rowActions = () => screen.getAllByTestId("audit-row").map((r) => r.dataset.action);

function row(action: string): HTMLElement {
  const found = screen.getAllByTestId("audit-row").find((r) => r.dataset.action === action);
  if (found === undefined) throw new Error(`no row for ${action}`);
  return found;
}

describe("audit log page", () => {
  it("is in the settings for admins and shows time, actor, action in words, target and IP", async () => {
    signIn("admin");
    renderApp("/settings/saved-replies");
    await userEvent.click(await screen.findByTestId("settings-nav-audit-log"));

    expect(await screen.findByRole("heading", { level: 1, name: "Audit log" })).toBeInTheDocument();
    await screen.findAllByTestId("audit-row");
    expect(rowActions()).toEqual(["team.role_changed", "auth.login_failed", "channel.connected", "channel.token_revoked"]);

    const change = row("team.role_changed");
    expect(within(change).getByTestId("audit-actor")).toHaveTextContent("Olivia Owner");
    expect(within(change).getByTestId("audit-action")).toHaveTextContent("Changed role");
    expect(within(change).getByTestId("audit-target")).toHaveTextContent("ann@acme.test");
    expect(within(change).getByTestId("audit-ip")).toHaveTextContent("203.0.113.9");

    expect(within(row("auth.login_failed")).getByTestId("audit-action")).toHaveTextContent("Failed sign-in");
    expect(within(row("auth.login_failed")).getByTestId("audit-actor")).toHaveTextContent("ann@acme.testNot signed in");
    expect(within(row("channel.connected")).getByTestId("audit-action")).toHaveTextContent("Connected channel");
    expect(within(row("channel.token_revoked")).getByTestId("audit-actor")).toHaveTextContent("MetaSystem");
    expect(within(row("channel.token_revoked")).getByTestId("audit-ip")).toHaveTextContent("—");
  });

  it("expands a row to its details and user agent", async () => {
    signIn("owner");
    renderApp("/settings/audit-log");
    await screen.findAllByTestId("audit-row");
    expect(screen.queryByTestId("audit-details")).toBeNull();

    await userEvent.click(row("team.role_changed"));
    const details = await screen.findByTestId("audit-details");
    expect(row("team.role_changed")).toHaveAttribute("aria-expanded", "true");
    expect(details).toHaveTextContent("from");
    expect(details).toHaveTextContent("agent");
    expect(details).toHaveTextContent("Mozilla/5.0 Firefox/140");

    await userEvent.click(row("auth.login_failed"));
    expect(screen.getAllByTestId("audit-details").some((d) => d.textContent?.includes("curl/8.5"))).toBe(true);
    await userEvent.click(row("team.role_changed"));
    expect(screen.getAllByTestId("audit-details")).toHaveLength(1);
  });

  it("filters by action, by a whole area, and by actor", async () => {
    const api = signIn("owner");
    renderApp("/settings/audit-log");
    await screen.findAllByTestId("audit-row");

    const actionFilter = screen.getByTestId("audit-filter-action");
    await waitFor(() => expect(within(actionFilter).getByRole("option", { name: "Changed role" })).toBeInTheDocument());
    expect(within(actionFilter).getByRole("option", { name: "Failed sign-in" })).toHaveValue("auth.login_failed");
    expect(within(actionFilter).getByRole("option", { name: "All sign-in" })).toHaveValue("auth.");

    await userEvent.selectOptions(actionFilter, "auth.login_failed");
    await waitFor(() => expect(rowActions()).toEqual(["auth.login_failed"]));
    expect(api.find("GET", "/api/audit-logs").at(-1)?.query.get("action")).toBe("auth.login_failed");

    await userEvent.selectOptions(actionFilter, "channel.");
    await waitFor(() => expect(rowActions()).toEqual(["channel.connected", "channel.token_revoked"]));

    await userEvent.selectOptions(actionFilter, "");
    const actorFilter = screen.getByTestId("audit-filter-actor");
    await waitFor(() => expect(within(actorFilter).getByRole("option", { name: "Olivia Owner" })).toBeInTheDocument());
    await userEvent.selectOptions(actorFilter, "user:u1");
    await waitFor(() => expect(rowActions()).toEqual(["team.role_changed", "channel.connected"]));
    expect(api.find("GET", "/api/audit-logs").at(-1)?.query.get("actor_user_id")).toBe("u1");

    await userEvent.selectOptions(actorFilter, "type:system");
    await waitFor(() => expect(rowActions()).toEqual(["channel.token_revoked"]));
    const last = api.find("GET", "/api/audit-logs").at(-1);
    expect(last?.query.get("actor_type")).toBe("system");
    expect(last?.query.get("actor_user_id")).toBeNull();

    await userEvent.click(screen.getByTestId("audit-filter-clear"));
    await waitFor(() => expect(rowActions()).toHaveLength(4));
  });

  it("filters by a range of days, each day whole", async () => {
    const api = signIn("owner");
    renderApp("/settings/audit-log");
    await screen.findAllByTestId("audit-row");

    await userEvent.type(screen.getByTestId("audit-filter-from"), "2026-11-19");
    await userEvent.type(screen.getByTestId("audit-filter-to"), "2026-11-20");

    await waitFor(() => {
      const query = api.find("GET", "/api/audit-logs").at(-1)?.query;
      expect(query?.get("since")).toBe(new Date(2026, 10, 19).toISOString());
      expect(query?.get("until")).toBe(new Date(2026, 10, 21).toISOString());
    });
  });

  it("says so when the range ends before it starts, without asking the API", async () => {
    const api = signIn("owner");
    renderApp("/settings/audit-log?from=2026-11-20&to=2026-11-01");

    expect(await screen.findByTestId("audit-range-error")).toHaveTextContent("The start date is after the end date.");
    expect(api.find("GET", "/api/audit-logs")).toHaveLength(0);
  });

  it("loads older entries on demand", async () => {
    const older = entry({ id: "old", action: "api_key.created", created_at: "2026-11-19T10:00:00Z" });
    const api = signIn("owner", {
      "GET /api/audit-logs": (request) =>
        request.query.get("cursor") === "page-2"
          ? jsonResponse(200, { items: [older], next_cursor: null })
          : jsonResponse(200, { items: [roleChange, failedLogin], next_cursor: "page-2" }),
    });
    renderApp("/settings/audit-log");
    await screen.findAllByTestId("audit-row");
    expect(rowActions()).toEqual(["team.role_changed", "auth.login_failed"]);

    await userEvent.click(screen.getByTestId("audit-load-more"));
    await waitFor(() => expect(rowActions()).toEqual(["team.role_changed", "auth.login_failed", "api_key.created"]));
    expect(api.find("GET", "/api/audit-logs").at(-1)?.query.get("cursor")).toBe("page-2");
    expect(screen.queryByTestId("audit-load-more")).toBeNull();
  });

  it("shows the server's reason when the log cannot be read", async () => {
    signIn("owner", {
      "GET /api/audit-logs": () => jsonResponse(503, { error: "database_unavailable", detail: "The database is unavailable; try again shortly." }),
    });
    renderApp("/settings/audit-log");
    expect(await screen.findByTestId("audit-error")).toHaveTextContent("The database is unavailable");
  });

  it("is not offered to agents, and refuses them without asking the API", async () => {
    const api = signIn("agent");
    renderApp("/settings/audit-log");
    expect(await screen.findByText("The audit log is for owners and admins")).toBeInTheDocument();
    expect(screen.queryByTestId("settings-nav-audit-log")).toBeNull();
    expect(api.calls().filter((c) => c.includes("/api/audit-logs"))).toEqual([]);
  });
});
