import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ApiKey, ApiKeyCreated, Role } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

function key(overrides: Partial<ApiKey>): ApiKey {
  return {
    id: "k1",
    name: "Zapier",
    prefix: "prly_3f9a1c2b7d4e",
    role: "agent",
    created_at: "2026-11-18T09:00:00Z",
    created_by_user_id: "u1",
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    ...overrides,
  };
}

const SECRET = "prly_7c1d2e3f4a5b_Zm9vYmFyYmF6cXV4cXV1eHh5enp5";

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  let keys = [
    key({ id: "k1", name: "Zapier", last_used_at: new Date(Date.now() - 5 * 60_000).toISOString(), last_used_ip: "203.0.113.9" }),
    key({ id: "k2", name: "Old CRM", prefix: "prly_0000aaaabbbb", role: "viewer", revoked_at: "2026-11-19T09:00:00Z" }),
  ];
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/api-keys": () => jsonResponse(200, { items: keys, next_cursor: null }),
    "POST /api/api-keys": ({ body }) => {
      const { name, role: keyRole } = body as { name: string; role: ApiKey["role"] };
      const created: ApiKeyCreated = { ...key({ id: "k3", name, role: keyRole, prefix: "prly_7c1d2e3f4a5b" }), secret: SECRET };
      const { secret: _secret, ...listed } = created;
      keys = [listed, ...keys];
      return jsonResponse(201, created);
    },
    "DELETE /api/api-keys/k1": () => {
      keys = keys.map((k) => (k.id === "k1" ? { ...k, revoked_at: new Date().toISOString() } : k));
      return jsonResponse(200, keys.find((k) => k.id === "k1"));
    },
    ...extra,
  });
  return api;
}

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId("api-key-row").find((r) => r.dataset.keyId === id);
  if (found === undefined) throw new Error(`no row for ${id}`);
  return found;
}

beforeEach(() => stubLayoutApis());

describe("API keys page", () => {
  it("lists keys with prefix, role, last use and a revoked badge", async () => {
    signIn("admin");
    renderApp("/settings/saved-replies");
    await userEvent.click(await screen.findByTestId("settings-nav-api-keys"));

    expect(await screen.findByRole("heading", { level: 1, name: "API keys" })).toBeInTheDocument();
    await screen.findAllByTestId("api-key-row");
    expect(row("k1")).toHaveTextContent("Zapier");
    expect(row("k1")).toHaveTextContent("prly_3f9a1c2b7d4e…");
    expect(row("k1")).toHaveTextContent("agent");
    expect(within(row("k1")).getByTestId("api-key-last-used")).toHaveTextContent("5m ago");
    expect(within(row("k1")).queryByTestId("api-key-revoked")).toBeNull();
    expect(within(row("k1")).getByTestId("api-key-revoke")).toBeInTheDocument();

    expect(within(row("k2")).getByTestId("api-key-revoked")).toHaveTextContent("Revoked");
    expect(within(row("k2")).getByTestId("api-key-last-used")).toHaveTextContent("Never");
    expect(within(row("k2")).queryByTestId("api-key-revoke")).toBeNull();
  });

  it("shows a curl example against this origin", async () => {
    signIn("owner");
    renderApp("/settings/api-keys");
    expect(await screen.findByTestId("api-key-curl")).toHaveTextContent(
      `curl -H "Authorization: Bearer prly_…" ${window.location.origin}/api/inbox/conversations`,
    );
  });

  it("creates a key and shows its secret once, with copy and a warning", async () => {
    const user = userEvent.setup();
    const api = signIn("owner");
    renderApp("/settings/api-keys");
    await screen.findAllByTestId("api-key-row");

    await user.click(screen.getByTestId("api-key-create"));
    await user.click(await screen.findByTestId("api-key-submit"));
    expect(screen.getByTestId("api-key-form")).toHaveTextContent("Name the key after what uses it.");
    expect(api.find("POST", "/api/api-keys")).toHaveLength(0);

    await user.type(screen.getByTestId("api-key-name"), "  Make.com ");
    await user.selectOptions(screen.getByTestId("api-key-role"), "viewer");
    await user.click(screen.getByTestId("api-key-submit"));

    expect(await screen.findByTestId("api-key-secret")).toHaveTextContent(SECRET);
    expect(api.find("POST", "/api/api-keys")[0]?.body).toEqual({ name: "Make.com", role: "viewer" });
    expect(screen.getByRole("dialog")).toHaveTextContent("It will not be shown again");

    await user.click(screen.getByTestId("api-key-copy"));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(screen.getByTestId("api-key-copy")).toHaveTextContent("Copied");

    // Escape does not lose the secret; only Done closes it.
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("api-key-secret")).toBeInTheDocument();
    await user.click(screen.getByTestId("api-key-done"));
    await waitFor(() => expect(screen.queryByTestId("api-key-secret")).toBeNull());

    await waitFor(() => expect(screen.getAllByTestId("api-key-row")).toHaveLength(3));
    expect(row("k3")).toHaveTextContent("Make.com");
    // The list never carries the secret.
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it("shows why the server refused a key", async () => {
    const user = userEvent.setup();
    signIn("admin", {
      "POST /api/api-keys": () =>
        jsonResponse(403, { error: "forbidden", detail: "You cannot create a key with more access than your own role." }),
    });
    renderApp("/settings/api-keys");
    await user.click(await screen.findByTestId("api-key-create"));
    await user.type(await screen.findByTestId("api-key-name"), "Ops");
    await user.selectOptions(screen.getByTestId("api-key-role"), "admin");
    await user.click(screen.getByTestId("api-key-submit"));
    expect(await screen.findByTestId("api-key-error")).toHaveTextContent("more access than your own role");
    expect(screen.queryByTestId("api-key-secret")).toBeNull();
  });

  it("revokes a key after confirming", async () => {
    const user = userEvent.setup();
    const api = signIn("owner");
    renderApp("/settings/api-keys");
    await screen.findAllByTestId("api-key-row");

    await user.click(within(row("k1")).getByTestId("api-key-revoke"));
    expect(await screen.findByRole("alertdialog")).toHaveTextContent("Revoke Zapier?");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(api.find("DELETE", "/api/api-keys/k1")).toHaveLength(0);

    await user.click(within(row("k1")).getByTestId("api-key-revoke"));
    await user.click(await screen.findByTestId("api-key-confirm-revoke"));
    await waitFor(() => expect(within(row("k1")).getByTestId("api-key-revoked")).toBeInTheDocument());
    expect(api.find("DELETE", "/api/api-keys/k1")).toHaveLength(1);
    expect(within(row("k1")).queryByTestId("api-key-revoke")).toBeNull();
  });

  it("is not offered to agents, and refuses them without asking the API", async () => {
    const api = signIn("agent");
    renderApp("/settings/api-keys");
    expect(await screen.findByText("API keys are for owners and admins")).toBeInTheDocument();
    expect(screen.queryByTestId("settings-nav-api-keys")).toBeNull();
    expect(api.calls().filter((c) => c.includes("/api/api-keys"))).toEqual([]);
  });
});
