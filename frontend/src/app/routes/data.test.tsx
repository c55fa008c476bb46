import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { browser } from "@/features/data/api/exports";
import type { Role, TenantExport, TrashedConversation } from "@/lib/api/types";
import { getTokens, setTokens } from "@/lib/auth";
import { applyConversationDeleted, applyExportUpdated } from "@/lib/realtime";
import type * as RealtimeModule from "@/lib/realtime";
import { conversationKeys, DEFAULT_CONVERSATION_FILTERS } from "@/lib/query-keys";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildConversation, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

function trashed(id: string, name: string): TrashedConversation {
  return {
    ...buildConversation({ id, contact: { id: `k-${id}`, name, external_id: `psid-${id}`, avatar_url: null } }),
    deleted_at: "2026-11-20T10:00:00Z",
    purge_at: "2026-12-20T10:00:00Z",
  };
}

function exportOf(overrides: Partial<TenantExport>): TenantExport {
  return {
    id: "e1",
    status: "queued",
    progress: 0,
    size_bytes: null,
    error: null,
    requested_by_user_id: "u1",
    created_at: "2026-11-21T09:00:00Z",
    finished_at: null,
    expires_at: null,
    downloadable: false,
    ...overrides,
  };
}

function signIn(role: Role, extra: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  let trash = [trashed("c1", "Ada Lovelace"), trashed("c2", "Grace Hopper")];
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/inbox/trash": () => jsonResponse(200, { items: trash, next_cursor: null }),
    "POST /api/inbox/conversations/c1/restore": () => {
      const restored = trash.find((c) => c.id === "c1");
      trash = trash.filter((c) => c.id !== "c1");
      return jsonResponse(200, restored);
    },
    "GET /api/tenant/exports": () => jsonResponse(200, { items: [], next_cursor: null }),
    ...extra,
  });
  return api;
}

beforeEach(() => stubLayoutApis());

describe("Data & privacy: the trash", () => {
  it("lists deleted conversations with their purge date, and restores one", async () => {
    const api = signIn("admin");
    renderApp("/settings/saved-replies");
    await userEvent.click(await screen.findByTestId("settings-nav-data"));

    expect(await screen.findByRole("heading", { level: 1, name: "Data & privacy" })).toBeInTheDocument();
    const rows = await screen.findAllByTestId("trash-row");
    expect(rows.map((r) => r.dataset.conversationId)).toEqual(["c1", "c2"]);
    expect(rows[0]).toHaveTextContent("Ada Lovelace");
    expect(within(rows[0] as HTMLElement).getByTestId("trash-purge")).toHaveTextContent(/Purged on .*(Dec 20|20 Dec).* 2026/);

    await userEvent.click(within(rows[0] as HTMLElement).getByTestId("trash-restore"));

    await waitFor(() => expect(api.find("POST", "/api/inbox/conversations/c1/restore")).toHaveLength(1));
    await waitFor(() => expect(screen.getAllByTestId("trash-row").map((r) => r.dataset.conversationId)).toEqual(["c2"]));
    // Admins see neither exports nor the danger zone (owners only).
    expect(screen.queryByTestId("export-start")).toBeNull();
    expect(screen.queryByTestId("delete-workspace")).toBeNull();
    expect(screen.getByTestId("legal-privacy")).toHaveAttribute("href", "/api/legal/privacy");
  });

  it("is not offered to agents and viewers", async () => {
    for (const role of ["agent", "viewer"] as const) {
      signIn(role);
      const view = renderApp("/settings/data");
      expect(await screen.findByText("Data & privacy is for owners and admins")).toBeInTheDocument();
      expect(screen.queryByTestId("settings-nav-data")).toBeNull();
      expect(screen.queryByTestId("trash-row")).toBeNull();
      view.unmount();
    }
  });

  it("drops a conversation deleted elsewhere from every list, live", async () => {
    signIn("admin");
    const { queryClient } = renderApp("/settings/data");
    await screen.findAllByTestId("trash-row");
    const listKey = conversationKeys.list(DEFAULT_CONVERSATION_FILTERS);
    const kept = buildConversation({ id: "c8" });
    queryClient.setQueryData(listKey, { pages: [{ items: [buildConversation({ id: "c9" }), kept], next_cursor: null }], pageParams: [null] });
    queryClient.setQueryData(conversationKeys.detail("c9"), buildConversation({ id: "c9" }));

    act(() => applyConversationDeleted(queryClient, { seq: 5, conversation_id: "c9" }));

    const data = queryClient.getQueryData<{ pages: { items: { id: string }[] }[] }>(listKey);
    expect(data?.pages[0]?.items.map((c) => c.id)).toEqual(["c8"]);
    expect(queryClient.getQueryData(conversationKeys.detail("c9"))).toBeUndefined();
  });
});

describe("Data & privacy: exports (owners)", () => {
  it("starts an export, follows its progress and downloads it", async () => {
    let current: TenantExport[] = [];
    const open = vi.spyOn(browser, "open").mockImplementation(() => {});
    const api = signIn("owner", {
      "GET /api/tenant/exports": () => jsonResponse(200, { items: current, next_cursor: null }),
      "POST /api/tenant/exports": () => {
        current = [exportOf({ status: "queued" })];
        return jsonResponse(202, current[0]);
      },
      "GET /api/tenant/exports/e1/download": () =>
        jsonResponse(200, { url: "https://store.test/exports/e1.zip?X-Amz-Signature=abc", expires_at: "2026-11-21T10:05:00Z", filename: "parley.zip" }),
    });
    const { queryClient } = renderApp("/settings/data");

    await userEvent.click(await screen.findByTestId("export-start"));

    await waitFor(() => expect(api.find("POST", "/api/tenant/exports")).toHaveLength(1));
    await waitFor(() => expect(api.find("GET", "/api/tenant/exports").length).toBeGreaterThanOrEqual(2));
    const bar = await screen.findByTestId("export-progress");
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    expect(screen.getByTestId("export-start")).toBeDisabled();

    // Progress arrives over the socket.
    current = [exportOf({ status: "running", progress: 42 })];
    act(() => applyExportUpdated(queryClient, { seq: 7, export: exportOf({ status: "running", progress: 42 }) }));
    await waitFor(() => expect(screen.getByTestId("export-progress")).toHaveAttribute("aria-valuenow", "42"));
    expect(screen.getByText("42%")).toBeInTheDocument();

    const done = exportOf({ status: "succeeded", progress: 100, size_bytes: 2048, downloadable: true, expires_at: "2026-11-28T09:00:00Z" });
    current = [done];
    act(() => applyExportUpdated(queryClient, { seq: 8, export: done }));
    await waitFor(() => expect(screen.queryByTestId("export-progress")).toBeNull());
    expect(screen.getByTestId("export-status")).toHaveTextContent("Ready");
    expect(screen.getByTestId("export-start")).toBeEnabled();

    await userEvent.click(screen.getByTestId("export-download"));

    await waitFor(() => expect(open).toHaveBeenCalledWith("https://store.test/exports/e1.zip?X-Amz-Signature=abc"));
    open.mockRestore();
  });

  it("polls while an export is being built", async () => {
    let reads = 0;
    signIn("owner", {
      "GET /api/tenant/exports": () => {
        reads += 1;
        const item = reads < 2 ? exportOf({ status: "running", progress: 10 }) : exportOf({ status: "failed", error: "The export failed; try again." });
        return jsonResponse(200, { items: [item], next_cursor: null });
      },
    });
    renderApp("/settings/data");
    expect(await screen.findByTestId("export-progress")).toHaveAttribute("aria-valuenow", "10");

    expect(await screen.findByText("The export failed; try again.", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.getByTestId("export-status")).toHaveTextContent("Failed");
  });

  it("says why a second export cannot start", async () => {
    signIn("owner", {
      "POST /api/tenant/exports": () =>
        jsonResponse(409, { error: "export_in_progress", detail: "An export is already being built; wait for it to finish before starting another." }),
    });
    renderApp("/settings/data");
    await userEvent.click(await screen.findByTestId("export-start"));
    expect(await screen.findByTestId("export-error")).toHaveTextContent("An export is already being built");
  });
});

describe("Data & privacy: deleting the workspace (owners)", () => {
  it("asks for the exact name and the password, then signs out with a goodbye", async () => {
    const api = signIn("owner", {
      "DELETE /api/tenant": ({ body }) => {
        const { password } = body as { password: string };
        if (password !== "correct horse") return jsonResponse(422, { error: "invalid_password", detail: "password: this is not your password." });
        return jsonResponse(202, { tenant_id: "t1", deletion_requested_at: "2026-11-21T10:00:00Z" });
      },
    });
    const { router } = renderApp("/settings/data");
    await userEvent.click(await screen.findByTestId("delete-workspace"));
    const dialog = await screen.findByTestId("delete-workspace-dialog");
    const submit = within(dialog).getByTestId("delete-workspace-submit");
    expect(submit).toBeDisabled();

    await userEvent.type(within(dialog).getByTestId("delete-workspace-confirm"), "acme");
    await userEvent.type(within(dialog).getByTestId("delete-workspace-password"), "wrong");
    expect(submit).toBeDisabled(); // the name must match exactly (case too)

    await userEvent.clear(within(dialog).getByTestId("delete-workspace-confirm"));
    await userEvent.type(within(dialog).getByTestId("delete-workspace-confirm"), "Acme");
    await userEvent.click(submit);
    expect(await within(dialog).findByTestId("delete-workspace-error")).toHaveTextContent("this is not your password");
    expect(getTokens()).not.toBeNull();

    await userEvent.clear(within(dialog).getByTestId("delete-workspace-password"));
    await userEvent.type(within(dialog).getByTestId("delete-workspace-password"), "correct horse");
    await userEvent.click(submit);

    expect(await screen.findByTestId("goodbye-notice")).toHaveTextContent("Your workspace has been deleted");
    expect(router.state.location.pathname).toBe("/login");
    expect(getTokens()).toBeNull();
    expect(api.find("DELETE", "/api/tenant").map((r) => r.body)).toEqual([
      { confirm: "Acme", password: "wrong" },
      { confirm: "Acme", password: "correct horse" },
    ]);
  });
});

describe("legal links", () => {
  it("are on the sign-in and sign-up pages, without a goodbye", async () => {
    stubApi({});
    const view = renderApp("/login");
    expect(await screen.findByTestId("legal-links")).toBeInTheDocument();
    expect(screen.getByTestId("legal-terms")).toHaveAttribute("href", "/api/legal/terms");
    expect(screen.getByTestId("legal-data-deletion")).toHaveAttribute("href", "/api/legal/data-deletion");
    expect(screen.queryByTestId("goodbye-notice")).toBeNull();
    view.unmount();

    renderApp("/register");
    expect(await screen.findByTestId("legal-privacy")).toHaveAttribute("target", "_blank");
  });
});
