import { act, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { AppProvider } from "@/app/provider";
import { routes } from "@/app/router";
import { setTokens } from "@/lib/auth";
import { applyConversationUpdated, applyMessageNew } from "@/lib/realtime";
import type * as RealtimeModule from "@/lib/realtime";
import { buildChannel, buildConversation, buildMessage, jsonResponse } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

// The socket itself is covered in realtime.test.ts; here events are applied to the cache directly.
vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const inFuture = (hours: number) => new Date(Date.now() + hours * 3_600_000 + 60_000).toISOString();

function stubApi(handlers: Record<string, () => Response>) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const key = `${request.method} ${new URL(request.url).pathname}`;
      calls.push(key);
      const handler = handlers[key];
      if (handler === undefined) return jsonResponse(404, { error: "not_found", detail: `No stub for ${key}` });
      return handler();
    }),
  );
  return calls;
}

function renderApp(path: string) {
  const queryClient = createTestQueryClient();
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <AppProvider queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProvider>,
  );
  return { queryClient, router };
}

const me = () => jsonResponse(200, { id: "u1", email: "owner@acme.test", role: "owner", tenant: { id: "t1", name: "Acme" } });

describe("inbox", () => {
  it("sends signed-out visitors to /login", async () => {
    stubApi({});
    const { router } = renderApp("/inbox");
    expect(await screen.findByTestId("login-email")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
  });

  it("shows the empty state when there are no conversations", async () => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    stubApi({
      "GET /api/auth/me": me,
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    renderApp("/inbox");
    expect(await screen.findByText("No conversations yet")).toBeInTheDocument();
    expect(screen.getByText(/send a test message from metasim/)).toBeInTheDocument();
    expect(await screen.findByTestId("user-menu")).toHaveTextContent("owner@acme.test");
    expect(screen.getByTestId("user-menu")).toHaveTextContent("Acme");
  });

  it("opens a conversation: list, header, bubbles in order, marks it read, and follows live events", async () => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    const conversation = buildConversation({
      id: "c1",
      contact: { id: "p1", name: "Ada Lovelace", external_id: "psid-1", avatar_url: null },
      channel: { id: "ch1", kind: "whatsapp", name: "Acme WhatsApp" },
      unread_count: 2,
      window: { state: "open", expires_at: inFuture(23) },
    });
    const other = buildConversation({ id: "c2", last_message_at: "2026-11-19T10:00:00Z" });
    const older = buildMessage({ id: "m1", conversation_id: "c1", text: "Hi", created_at: "2026-11-20T09:00:00Z" });
    const reply = buildMessage({
      id: "m2",
      conversation_id: "c1",
      direction: "outbound",
      status: "delivered",
      text: "Hello Ada!",
      created_at: "2026-11-20T09:01:00Z",
    });
    const failed = buildMessage({
      id: "m3",
      conversation_id: "c1",
      direction: "outbound",
      status: "failed",
      text: "Are you there?",
      error: { code: "131047", reason: "More than 24 hours have passed" },
      created_at: "2026-11-20T09:02:00Z",
    });
    const calls = stubApi({
      "GET /api/auth/me": me,
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [conversation, other], next_cursor: null }),
      "GET /api/inbox/conversations/c1": () => jsonResponse(200, conversation),
      "GET /api/inbox/conversations/c1/messages": () =>
        jsonResponse(200, { items: [older, reply, failed], next_cursor: null }),
      "POST /api/inbox/conversations/c1/read": () => jsonResponse(200, { ...conversation, unread_count: 0 }),
    });
    const { queryClient } = renderApp("/inbox/c1");

    const header = await screen.findByTestId("thread-header");
    expect(header).toHaveTextContent("Ada Lovelace");
    expect(header).toHaveTextContent("Acme WhatsApp");
    expect(header).toHaveTextContent("Window open · closes in 23h");

    const items = await screen.findAllByTestId("conversation-item");
    expect(items.map((i) => i.getAttribute("data-conversation-id"))).toEqual(["c1", "c2"]);

    const bubbles = await screen.findAllByTestId("message-bubble");
    expect(bubbles.map((b) => [b.dataset.direction, b.dataset.status])).toEqual([
      ["inbound", "received"],
      ["outbound", "delivered"],
      ["outbound", "failed"],
    ]);
    expect(within(bubbles[2] as HTMLElement).getByTestId("message-error")).toHaveTextContent(
      "More than 24 hours have passed",
    );

    await waitFor(() => expect(calls.filter((c) => c.endsWith("/c1/read"))).toHaveLength(1));
    await waitFor(() => expect(within(items[0] as HTMLElement).queryByTestId("unread-badge")).toBeNull());

    // A new inbound message arrives over the socket: it shows up and is marked read.
    await act(async () => {
      applyMessageNew(queryClient, {
        seq: 10,
        message: buildMessage({ id: "m4", conversation_id: "c1", text: "Yes, still here", created_at: "2026-11-20T09:05:00Z" }),
      });
    });
    expect(await screen.findByText("Yes, still here")).toBeInTheDocument();
    expect(screen.getAllByTestId("message-bubble")).toHaveLength(4);
    await waitFor(() => expect(calls.filter((c) => c.endsWith("/c1/read"))).toHaveLength(2));

    // Another conversation gets newer activity: it moves to the top.
    await act(async () => {
      applyConversationUpdated(queryClient, {
        seq: 11,
        conversation: { ...other, last_message_at: new Date().toISOString(), unread_count: 1 },
      });
    });
    await waitFor(() =>
      expect(screen.getAllByTestId("conversation-item").map((i) => i.getAttribute("data-conversation-id"))).toEqual([
        "c2",
        "c1",
      ]),
    );
    await waitFor(() => expect(queryClient.isMutating()).toBe(0));
  });

  it("says so when a conversation does not exist", async () => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    stubApi({
      "GET /api/auth/me": me,
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    renderApp("/inbox/missing");
    expect(await screen.findByText("Conversation not found")).toBeInTheDocument();
  });

  it("tells the agent when the conversation's channel needs reconnecting instead of letting a reply fail", async () => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    const conversation = buildConversation({ id: "c1", channel_id: "chan-9", channel: { id: "chan-9", kind: "messenger", name: "Acme Page" } });
    stubApi({
      "GET /api/auth/me": me,
      "GET /api/channels": () =>
        jsonResponse(200, {
          items: [buildChannel({ id: "chan-9", name: "Acme Page", status: "needs_reauth", health: "needs_reauth" })],
          next_cursor: null,
        }),
      "GET /api/inbox/conversations": () => jsonResponse(200, { items: [conversation], next_cursor: null }),
      "GET /api/inbox/conversations/c1": () => jsonResponse(200, conversation),
      "GET /api/inbox/conversations/c1/messages": () => jsonResponse(200, { items: [], next_cursor: null }),
    });
    renderApp("/inbox/c1");

    expect(await screen.findByTestId("composer-channel-hint")).toHaveTextContent(
      "Acme Page needs to be reconnected before replies can be sent.",
    );
    expect(screen.getByTestId("composer-send")).toBeDisabled();
  });
});
