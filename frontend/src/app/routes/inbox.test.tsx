import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { AppProvider } from "@/app/provider";
import { routes } from "@/app/router";
import { setTokens } from "@/lib/auth";
import { applyConversationUpdated, applyMessageNew } from "@/lib/realtime";
import type * as RealtimeModule from "@/lib/realtime";
import type { Conversation } from "@/lib/api/types";
import { stubApi as stubRecordedApi, type RecordedRequest, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildConversation, buildMe, buildMessage, jsonResponse } from "@/testing/fixtures";
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

const me = () => jsonResponse(200, buildMe("owner"));

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
    expect(await screen.findByText("No open conversations")).toBeInTheDocument();
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
      last_inbound_at: new Date(Date.now() - 3_600_000 + 60_000).toISOString(),
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
    expect(header).toHaveTextContent(/Window closes in 23h/);

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

// --- The conversation list: folders, filters, search, shortcuts, layout ----------------------

const CH = "0b7c5d1e-8a3f-4c2b-9d1e-5f6a7b8c9d0e";
const GRACE = "3f2e1d0c-4b5a-4978-8695-a4b3c2d1e0f9";
const VIEWER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const HOUR = 3_600_000;

const team = () =>
  jsonResponse(200, [
    { id: GRACE, name: "Grace Hopper", email: "grace@acme.test", role: "agent" },
    { id: VIEWER, name: "Vic Viewer", email: "vic@acme.test", role: "viewer" },
  ]);
const counts = () =>
  jsonResponse(200, { mine: 3, unassigned: 5, all: 12, channels: [{ channel_id: CH, open: 7 }] });
const channelsPage = () =>
  jsonResponse(200, { items: [buildChannel({ id: CH, kind: "whatsapp", name: "Acme WA" })], next_cursor: null });
const labelsPage = () => jsonResponse(200, { items: [{ name: "vip", conversations: 2 }], next_cursor: null });

function listStubs(list: (request: RecordedRequest) => Response): Record<string, StubHandler> {
  return {
    "GET /api/auth/me": me,
    "GET /api/inbox/conversations": list,
    "GET /api/inbox/conversations/counts": counts,
    "GET /api/channels": channelsPage,
    "GET /api/team/members": team,
    "GET /api/inbox/labels": labelsPage,
  };
}

function threadStubs(conversation: Conversation): Record<string, StubHandler> {
  return {
    [`GET /api/inbox/conversations/${conversation.id}`]: () => jsonResponse(200, conversation),
    [`GET /api/inbox/conversations/${conversation.id}/messages`]: () => jsonResponse(200, { items: [], next_cursor: null }),
    [`POST /api/inbox/conversations/${conversation.id}/read`]: () => jsonResponse(200, conversation),
  };
}

const listRequests = (api: ReturnType<typeof stubRecordedApi>) => api.find("GET", "/api/inbox/conversations");
const lastListQuery = (api: ReturnType<typeof stubRecordedApi>) => {
  const requests = listRequests(api);
  return Object.fromEntries(requests[requests.length - 1]?.query ?? []);
};
const rowIds = () => screen.queryAllByTestId("conversation-item").map((i) => i.getAttribute("data-conversation-id"));

describe("inbox list", () => {
  beforeEach(() => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    // Radix popovers and scroll areas measure themselves; jsdom cannot.
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
  });

  it("keeps folders, status and filters in the URL and sends them to the API", async () => {
    const api = stubRecordedApi(listStubs(() => jsonResponse(200, { items: [], next_cursor: null })));
    const user = userEvent.setup();
    const { router } = renderApp("/inbox");

    await waitFor(() => expect(lastListQuery(api)).toEqual({ limit: "30", status: "open" }));
    const switcher = screen.getByTestId("folder-switcher");
    await waitFor(() => expect(switcher).toHaveTextContent("All12"));

    await user.click(switcher);
    // The popover's copy (the wide-screen sidebar has the other, hidden by CSS below 2xl).
    const nav = within(await screen.findByRole("dialog")).getByTestId("folder-nav");
    const entries = within(nav).getAllByTestId("folder-link");
    expect(entries.map((e) => e.textContent)).toEqual(["Mine3", "Unassigned5", "All12", "Expiring soon", "Acme WA7"]);
    expect(within(nav).getByRole("link", { name: /All/ })).toHaveAttribute("aria-current", "page");

    await user.click(within(nav).getByRole("link", { name: /Mine/ }));
    expect(router.state.location.search).toBe("?folder=mine");
    await waitFor(() => expect(lastListQuery(api)).toEqual({ limit: "30", folder: "mine", status: "open" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByTestId("folder-switcher")).toHaveTextContent("Mine3");

    await user.click(within(screen.getByTestId("status-tabs")).getByRole("button", { name: "Pending" }));
    expect(router.state.location.search).toBe("?folder=mine&status=pending");
    await waitFor(() => expect(lastListQuery(api)).toMatchObject({ folder: "mine", status: "pending" }));

    await user.click(screen.getByTestId("filter-menu"));
    const assignee = await screen.findByTestId("filter-assignee");
    await waitFor(() => expect(within(assignee).getAllByRole("option").map((o) => o.textContent)).toEqual(["Anyone", "Grace Hopper"]));
    await user.selectOptions(assignee, GRACE);
    await user.selectOptions(screen.getByTestId("filter-label"), "vip");
    await user.selectOptions(screen.getByTestId("filter-window"), "closed");
    await user.click(screen.getByTestId("filter-unread"));
    expect(Object.fromEntries(new URLSearchParams(router.state.location.search))).toEqual({
      folder: "mine",
      status: "pending",
      assignee: GRACE,
      label: "vip",
      window: "closed",
      unread: "1",
    });
    await waitFor(() =>
      expect(lastListQuery(api)).toEqual({
        limit: "30",
        folder: "mine",
        status: "pending",
        assignee_id: GRACE,
        label: "vip",
        window: "closed",
        unread: "true",
      }),
    );
    expect(screen.getByTestId("filter-menu")).toHaveAccessibleName("Filters (4 active)");
    await user.keyboard("{Escape}");

    const chips = screen.getByTestId("active-filters");
    expect(chips).toHaveTextContent("Assignee: Grace Hopper");
    expect(chips).toHaveTextContent("Label: vip");
    await user.click(within(chips).getByRole("button", { name: "Remove filter: Unread" }));
    expect(new URLSearchParams(router.state.location.search).has("unread")).toBe(false);
    expect(await screen.findByText("No conversations match these filters")).toBeInTheDocument();
  });

  it("restores a bookmarked view, channel folder included", async () => {
    const api = stubRecordedApi(listStubs(() => jsonResponse(200, { items: [], next_cursor: null })));
    renderApp(`/inbox?folder=unassigned&status=all&window=expiring&channel=${CH}`);

    await waitFor(() =>
      expect(lastListQuery(api)).toEqual({ limit: "30", folder: "unassigned", window: "expiring", channel_id: CH }),
    );
    await waitFor(() => expect(screen.getByTestId("folder-switcher")).toHaveTextContent("Acme WA7"));
    expect(within(screen.getByTestId("status-tabs")).getByRole("button", { name: "All" })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
    // Starting a WhatsApp conversation is one click away, in the list's header.
    const list = screen.getByRole("region", { name: "Conversations" });
    expect(await within(list).findByTestId("start-conversation")).toBeInTheDocument();
  });

  it("searches as the agent types (debounced), highlights the hit and opens the conversation at it", async () => {
    const hit = buildConversation({
      id: "c1",
      contact: { id: "p1", name: "Ada Lovelace", external_id: "psid-1", avatar_url: null },
      match: { message_id: "m9", at: "2026-11-20T10:00:00Z", snippet: 'Hi <img src=x onerror="alert(1)"> about my Refund' },
    });
    const api = stubRecordedApi({
      ...listStubs((request) =>
        jsonResponse(200, { items: request.query.get("q") === "refund" ? [hit] : [], next_cursor: null }),
      ),
      ...threadStubs(hit),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/inbox");
    await waitFor(() => expect(listRequests(api)).toHaveLength(1));

    await user.type(screen.getByTestId("conversation-search"), "refund");
    await waitFor(() => expect(router.state.location.search).toBe("?q=refund"));
    const item = await screen.findByTestId("conversation-item");
    // One request for the typed word, not one per keystroke.
    expect(listRequests(api).filter((r) => r.query.has("q")).map((r) => r.query.get("q"))).toEqual(["refund"]);

    const snippet = within(item).getByTestId("search-snippet");
    expect(snippet).toHaveTextContent('Hi <img src=x onerror="alert(1)"> about my Refund');
    expect([...snippet.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["Refund"]);
    expect(document.querySelector("img[src='x']")).toBeNull();

    await user.click(item);
    expect(router.state.location.pathname).toBe("/inbox/c1");
    expect(router.state.location.search).toBe("?q=refund&message=m9");
    expect(screen.getByTestId("conversation-search")).toHaveValue("refund");

    await user.click(screen.getByRole("button", { name: "Clear search" }));
    await waitFor(() => expect(router.state.location.search).toBe(""));
    expect(await screen.findByText("No open conversations")).toBeInTheDocument();
  });

  it("moves through the list with j / k, keeping the view; r replies, e resolves, / searches, ? helps", async () => {
    const [c1, c2, c3] = ["c1", "c2", "c3"].map((id, i) =>
      buildConversation({ id, assignee_id: "u1", last_message_at: `2026-11-20T1${5 - i}:00:00Z` }),
    ) as [Conversation, Conversation, Conversation];
    const api = stubRecordedApi({
      ...listStubs(() => jsonResponse(200, { items: [c1, c2, c3], next_cursor: null })),
      ...threadStubs(c1),
      ...threadStubs(c2),
      "PATCH /api/inbox/conversations/c2": () => jsonResponse(200, { ...c2, status: "resolved" }),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/inbox?folder=mine");
    await waitFor(() => expect(rowIds()).toEqual(["c1", "c2", "c3"]));
    expect(screen.getAllByTestId("conversation-item")[1]).toHaveAttribute("href", "/inbox/c2?folder=mine");

    await user.keyboard("j");
    expect(router.state.location.pathname).toBe("/inbox/c1");
    expect(router.state.location.search).toBe("?folder=mine");
    await user.keyboard("j");
    expect(router.state.location.pathname).toBe("/inbox/c2");
    await user.keyboard("{Alt>}{ArrowUp}{/Alt}");
    expect(router.state.location.pathname).toBe("/inbox/c1");
    await user.keyboard("{Alt>}{ArrowDown}{/Alt}");
    expect(router.state.location.pathname).toBe("/inbox/c2");

    const composer = await screen.findByTestId("composer-input");
    await user.keyboard("r");
    expect(composer).toHaveFocus();
    await user.keyboard("j");
    expect(router.state.location.pathname).toBe("/inbox/c2");
    await user.keyboard("{Escape}");
    expect(composer).not.toHaveFocus();

    await user.keyboard("e");
    await waitFor(() => expect(api.find("PATCH", "/api/inbox/conversations/c2")).toHaveLength(1));
    expect(api.find("PATCH", "/api/inbox/conversations/c2")[0]?.body).toEqual({ status: "resolved" });
    // Resolved leaves the Open list at once; the thread stays open.
    await waitFor(() => expect(rowIds()).toEqual(["c1", "c3"]));
    expect(router.state.location.pathname).toBe("/inbox/c2");

    await user.keyboard("/");
    expect(screen.getByTestId("conversation-search")).toHaveFocus();
    await user.keyboard("k");
    expect(router.state.location.pathname).toBe("/inbox/c2");
    expect(screen.getByTestId("conversation-search")).toHaveValue("k");
    await user.keyboard("{Escape}{Escape}");
    expect(screen.getByTestId("conversation-search")).not.toHaveFocus();

    await user.keyboard("?");
    const dialog = await screen.findByTestId("shortcuts-dialog");
    expect(dialog).toHaveTextContent("Next conversation");
    expect(dialog).toHaveTextContent("Resolve the open conversation");
  });

  it("says so when resolving from the keyboard fails, and puts the conversation back", async () => {
    const c1 = buildConversation({ id: "c1" });
    const c2 = buildConversation({ id: "c2", last_message_at: "2026-11-20T09:00:00Z" });
    stubRecordedApi({
      ...listStubs(() => jsonResponse(200, { items: [c1, c2], next_cursor: null })),
      ...threadStubs(c1),
      "PATCH /api/inbox/conversations/c1": () =>
        jsonResponse(409, { error: "conflict", detail: "The conversation changed meanwhile." }),
    });
    const user = userEvent.setup();
    renderApp("/inbox/c1");
    await screen.findByTestId("thread-header");
    await waitFor(() => expect(rowIds()).toEqual(["c1", "c2"]));

    await user.keyboard("e");

    const alert = await screen.findByTestId("shortcut-error");
    expect(alert).toHaveTextContent("Could not resolve the conversation. The conversation changed meanwhile.");
    await waitFor(() => expect(rowIds()).toEqual(["c1", "c2"]));
    await user.click(within(alert).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("shortcut-error")).toBeNull();
  });

  it("does not resolve from the keyboard for a read-only viewer", async () => {
    const c1 = buildConversation({ id: "c1" });
    const api = stubRecordedApi({
      ...listStubs(() => jsonResponse(200, { items: [c1], next_cursor: null })),
      "GET /api/auth/me": () => jsonResponse(200, buildMe("viewer")),
      ...threadStubs(c1),
    });
    const user = userEvent.setup();
    renderApp("/inbox/c1");
    await screen.findByTestId("thread-header");
    await waitFor(() => expect(rowIds()).toEqual(["c1"]));
    await user.keyboard("e");
    expect(api.find("PATCH", "/api/inbox/conversations/c1")).toHaveLength(0);
    // Nor is there anything to reply with, or to start a conversation from.
    await user.keyboard("r");
    expect(document.activeElement).toBe(document.body);
    expect(screen.queryByTestId("composer-input")).toBeNull();
    expect(screen.getByTestId("composer-read-only")).toHaveTextContent("You have view-only access");
    expect(screen.queryByTestId("start-conversation")).toBeNull();
  });

  it("shows one pane at a time on a phone: the list, then the thread", async () => {
    const c1 = buildConversation({ id: "c1" });
    stubRecordedApi({ ...listStubs(() => jsonResponse(200, { items: [c1], next_cursor: null })), ...threadStubs(c1) });
    const user = userEvent.setup();
    const { router } = renderApp("/inbox?status=pending");

    const inbox = await screen.findByTestId("inbox");
    expect(inbox).toHaveAttribute("data-phone-pane", "list");
    expect(screen.getByTestId("inbox-list-pane")).not.toHaveClass("hidden");
    expect(screen.getByTestId("inbox-thread-pane")).toHaveClass("hidden", "md:block");

    await user.click(await screen.findByTestId("conversation-item"));
    expect(router.state.location.pathname).toBe("/inbox/c1");
    expect(inbox).toHaveAttribute("data-phone-pane", "thread");
    expect(screen.getByTestId("inbox-list-pane")).toHaveClass("hidden", "md:block");
    expect(screen.getByTestId("inbox-thread-pane")).not.toHaveClass("hidden");

    // The thread's back button returns to the same view of the list.
    const back = await screen.findByTestId("thread-back");
    expect(back).toHaveAttribute("href", "/inbox?status=pending");
    await user.click(back);
    expect(router.state.location.pathname).toBe("/inbox");
    expect(router.state.location.search).toBe("?status=pending");
    expect(inbox).toHaveAttribute("data-phone-pane", "list");
  });

  it("shows what matters on each row: labels, assignee, snooze, unread and the window", async () => {
    const now = Date.now();
    const rows = [
      buildConversation({
        id: "expiring",
        channel: { id: CH, kind: "whatsapp", name: "Acme WA" },
        channel_id: CH,
        labels: ["vip", "billing", "urgent"],
        assignee_id: GRACE,
        unread_count: 3,
        last_message_at: new Date(now - 60_000).toISOString(),
        last_inbound_at: new Date(now - 22.5 * HOUR).toISOString(),
      }),
      buildConversation({
        id: "closed",
        channel: { id: CH, kind: "whatsapp", name: "Acme WA" },
        status: "snoozed",
        snoozed_until: new Date(now + 48 * HOUR).toISOString(),
        last_message_at: new Date(now - 2 * 60_000).toISOString(),
        last_inbound_at: new Date(now - 30 * HOUR).toISOString(),
      }),
    ];
    stubRecordedApi(listStubs(() => jsonResponse(200, { items: rows, next_cursor: null })));
    renderApp("/inbox?status=all");

    await waitFor(() => expect(rowIds()).toEqual(["expiring", "closed"]));
    const [first, second] = screen.getAllByTestId("conversation-item") as [HTMLElement, HTMLElement];
    expect(within(first).getAllByTestId("label-chip").map((c) => c.textContent)).toEqual(["vip", "billing"]);
    expect(first).toHaveTextContent("+1");
    expect(await within(first).findByRole("img", { name: "Assigned to Grace Hopper" })).toHaveTextContent("GH");
    expect(within(first).getByTestId("unread-badge")).toHaveTextContent("3");
    expect(within(first).getByTestId("window-indicator")).toHaveAttribute("data-window-state", "expiring");
    expect(within(first).getByTestId("window-indicator")).toHaveTextContent("1h left");
    expect(within(first).getByRole("img", { name: "WhatsApp" })).toBeInTheDocument();

    expect(within(second).getByTestId("conversation-status")).toHaveTextContent("snoozed");
    expect(within(second).getByTestId("snoozed-until")).toHaveTextContent(/until \w+/);
    expect(within(second).getByTestId("window-indicator")).toHaveTextContent("Closed");
    expect(within(second).queryByTestId("assignee-avatar")).toBeNull();
  });

  it("loads the next page with the same filters", async () => {
    const first = buildConversation({ id: "a", last_message_at: "2026-11-20T12:00:00Z" });
    const second = buildConversation({ id: "b", last_message_at: "2026-11-20T11:00:00Z" });
    const api = stubRecordedApi(
      listStubs((request) =>
        request.query.get("cursor") === "p2"
          ? jsonResponse(200, { items: [second], next_cursor: null })
          : jsonResponse(200, { items: [first], next_cursor: "p2" }),
      ),
    );
    const user = userEvent.setup();
    renderApp("/inbox?label=vip");
    await waitFor(() => expect(rowIds()).toEqual(["a"]));

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(rowIds()).toEqual(["a", "b"]));
    expect(lastListQuery(api)).toEqual({ limit: "30", status: "open", label: "vip", cursor: "p2" });
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("follows live changes: a conversation resolved elsewhere leaves Open and the counts refresh", async () => {
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T12:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T11:00:00Z" });
    const api = stubRecordedApi(listStubs(() => jsonResponse(200, { items: [a, b], next_cursor: null })));
    const { queryClient } = renderApp("/inbox");
    await waitFor(() => expect(rowIds()).toEqual(["a", "b"]));
    await waitFor(() => expect(api.find("GET", "/api/inbox/conversations/counts")).toHaveLength(1));

    await act(async () => {
      applyConversationUpdated(queryClient, { seq: 1, conversation: { ...a, status: "resolved" } });
    });
    await waitFor(() => expect(rowIds()).toEqual(["b"]));
    await waitFor(() => expect(api.find("GET", "/api/inbox/conversations/counts")).toHaveLength(2), { timeout: 3000 });

    // A new conversation arrives: it joins the Open list at the top.
    await act(async () => {
      applyConversationUpdated(queryClient, {
        seq: 2,
        conversation: buildConversation({ id: "new", last_message_at: "2026-11-20T13:00:00Z" }),
      });
    });
    await waitFor(() => expect(rowIds()).toEqual(["new", "b"]));
  });
});
