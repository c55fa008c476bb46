import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FolderNav } from "@/features/inbox/components/folder-nav";
import { setTokens } from "@/lib/auth";
import { DEFAULT_CONVERSATION_FILTERS } from "@/lib/query-keys";
import { applyConversationUpdated } from "@/lib/realtime";
import type * as RealtimeModule from "@/lib/realtime";
import { realtimeStore } from "@/lib/realtime-store";
import { stubApi } from "@/testing/api-stub";
import { buildChannel, buildConversation, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { AppLayout } from "./app-layout";

// The socket is covered in realtime.test.ts; here the store and cache are driven directly.
vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const unread = [
  buildConversation({ id: "c1", unread_count: 2, assignee_id: "u1", last_message_at: "2026-11-20T12:00:00Z" }),
  buildConversation({ id: "c2", unread_count: 1, assignee_id: null, last_message_at: "2026-11-20T11:00:00Z" }),
  buildConversation({
    id: "c3",
    unread_count: 4,
    assignee_id: "u2",
    channel_id: "chan-2",
    channel: { id: "chan-2", kind: "whatsapp", name: "Acme WA" },
    last_message_at: "2026-11-20T10:00:00Z",
  }),
];

function stubInbox() {
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe("agent")),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    "GET /api/inbox/conversations": () => jsonResponse(200, { items: unread, next_cursor: null }),
  });
}

function goLive(presence: Record<string, string> = { u1: "online" }) {
  act(() => realtimeStore.setSession({ userId: "u1", tenantId: "t1", role: "agent" }, presence));
}

beforeEach(() => {
  setTokens({ accessToken: "a", refreshToken: "r" });
});

afterEach(() => {
  act(() => realtimeStore.reset());
  document.title = "Parley";
});

describe("app layout: live unread count and presence", () => {
  it("counts unread conversations in the nav and the tab title, and follows events", async () => {
    const api = stubInbox();
    const { queryClient } = renderWithProviders(<AppLayout />);
    goLive();

    await waitFor(() => expect(document.title).toBe("(3) Parley"));
    expect(within(screen.getByTestId("nav-inbox")).getAllByTestId("unread-count")[0]).toHaveTextContent("3");
    const [request] = api.find("GET", "/api/inbox/conversations");
    expect(Object.fromEntries(request?.query ?? [])).toEqual({ limit: "100", status: "open", unread: "true" });

    // Someone reads c1: it leaves the count without a refetch.
    act(() => applyConversationUpdated(queryClient, { seq: 1, conversation: { ...(unread[0] as (typeof unread)[0]), unread_count: 0 } }));
    await waitFor(() => expect(document.title).toBe("(2) Parley"));

    // A customer writes in a new conversation.
    const fresh = buildConversation({ id: "c4", unread_count: 1, last_message_at: "2026-11-20T13:00:00Z" });
    act(() => applyConversationUpdated(queryClient, { seq: 2, conversation: fresh }));
    await waitFor(() => expect(document.title).toBe("(3) Parley"));

    // A resolved conversation no longer counts, even with unread messages.
    act(() => applyConversationUpdated(queryClient, { seq: 3, conversation: { ...fresh, status: "resolved" } }));
    await waitFor(() => expect(document.title).toBe("(2) Parley"));
    expect(api.find("GET", "/api/inbox/conversations")).toHaveLength(1);
  });

  it("says nothing before the live session is up, and no count at all when nothing is unread", async () => {
    const api = stubApi({
      "GET /api/auth/me": () => jsonResponse(200, buildMe("agent")),
      "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    renderWithProviders(<AppLayout />);
    await screen.findByTestId("user-email");
    expect(api.find("GET", "/api/inbox/conversations")).toEqual([]);
    expect(document.title).toBe("Parley");

    goLive();
    await waitFor(() => expect(api.find("GET", "/api/inbox/conversations")).toHaveLength(1));
    expect(document.title).toBe("Parley");
    expect(screen.queryByTestId("unread-count")).toBeNull();
  });

  it("shows the user's own status: online, away, as the server says it", async () => {
    stubInbox();
    renderWithProviders(<AppLayout />);
    expect(screen.getByTestId("user-presence")).not.toHaveAttribute("data-status");
    goLive();
    expect(screen.getByTestId("user-presence")).toHaveAttribute("data-status", "online");
    act(() => realtimeStore.setPresence("u1", "away"));
    expect(screen.getByTestId("user-presence")).toHaveAttribute("data-status", "away");
    expect(within(screen.getByTestId("user-presence")).getByTestId("presence-dot")).toHaveAttribute("data-status", "away");
  });
});

describe("folder nav: unread per folder", () => {
  it("counts unread conversations in Mine, Unassigned, All and per channel", async () => {
    stubInbox();
    renderWithProviders(
      <FolderNav
        filters={DEFAULT_CONVERSATION_FILTERS}
        counts={{ all: 12, mine: 3, unassigned: 5, channels: [{ channel_id: "chan-2", open: 7 }] }}
        channels={[buildChannel({ id: "chan-1", name: "Acme Page" }), buildChannel({ id: "chan-2", name: "Acme WA", kind: "whatsapp" })]}
      />,
    );
    const unreadOf = (view: string) =>
      screen
        .getAllByTestId("folder-link")
        .find((link) => link.getAttribute("data-view") === view)
        ?.querySelector("[data-testid='unread-count']")?.textContent ?? null;
    expect(unreadOf("all")).toBeNull();

    goLive();
    await waitFor(() => expect(unreadOf("all")).toBe("3"));
    expect(unreadOf("mine")).toBe("1");
    expect(unreadOf("unassigned")).toBe("1");
    expect(unreadOf("channel:chan-1")).toBe("2");
    expect(unreadOf("channel:chan-2")).toBe("1");
    expect(unreadOf("expiring")).toBeNull();
  });
});
