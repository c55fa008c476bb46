import type { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Conversation, Me } from "@/lib/api/types";
import {
  conversationMatches,
  removeConversationFromPages,
  upsertConversation,
  upsertConversationInPages,
  windowAt,
  type ConversationListData,
} from "@/lib/inbox-cache";
import { authKeys, conversationKeys, DEFAULT_CONVERSATION_FILTERS, type ConversationFilters } from "@/lib/query-keys";
import { applyConversationUpdated } from "@/lib/realtime";
import { buildConversation, buildMe } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const ME = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";

const view = (overrides: Partial<ConversationFilters> = {}): ConversationFilters => ({
  ...DEFAULT_CONVERSATION_FILTERS,
  ...overrides,
});

const ago = (hours: number) => new Date(NOW - hours * HOUR).toISOString();

function page(items: Conversation[], nextCursor: string | null = null): ConversationListData {
  return { pages: [{ items, next_cursor: nextCursor }], pageParams: [null] };
}

function ids(queryClient: QueryClient, filters: ConversationFilters): string[] | undefined {
  return queryClient
    .getQueryData<ConversationListData>(conversationKeys.list(filters))
    ?.pages.flatMap((p) => p.items.map((c) => c.id));
}

function signedIn(queryClient: QueryClient, id = ME): void {
  queryClient.setQueryData<Me>(authKeys.me(), { ...buildMe("agent"), id });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("windowAt", () => {
  const whatsapp = { id: "w", kind: "whatsapp" as const, name: "WA" };
  const messenger = { id: "m", kind: "messenger" as const, name: "Page" };

  it("follows the server's rules: 24 h for both channels, then 7 days of HUMAN_AGENT on Messenger", () => {
    expect(windowAt({ last_inbound_at: ago(1), channel: whatsapp }, NOW)).toEqual({
      state: "open",
      expiresAt: NOW + 23 * HOUR,
      expiring: false,
    });
    expect(windowAt({ last_inbound_at: ago(23), channel: whatsapp }, NOW)).toMatchObject({ state: "open", expiring: true });
    expect(windowAt({ last_inbound_at: ago(25), channel: whatsapp }, NOW)).toEqual({
      state: "closed",
      expiresAt: null,
      expiring: false,
    });
    expect(windowAt({ last_inbound_at: ago(25), channel: messenger }, NOW)).toMatchObject({
      state: "human_agent",
      expiring: false,
    });
    expect(windowAt({ last_inbound_at: ago(7 * 24 - 1), channel: messenger }, NOW)).toMatchObject({
      state: "human_agent",
      expiring: true,
    });
    expect(windowAt({ last_inbound_at: ago(7 * 24 + 1), channel: messenger }, NOW).state).toBe("closed");
    expect(windowAt({ last_inbound_at: null, channel: messenger }, NOW).state).toBe("closed");
  });

  it("counts exactly two hours left as expiring, a minute more as not", () => {
    const twoHoursLeft = new Date(NOW - 22 * HOUR).toISOString();
    expect(windowAt({ last_inbound_at: twoHoursLeft, channel: whatsapp }, NOW).expiring).toBe(true);
    expect(windowAt({ last_inbound_at: twoHoursLeft, channel: whatsapp }, NOW - 60_000).expiring).toBe(false);
  });
});

describe("conversationMatches", () => {
  const context = { userId: ME, now: NOW };
  const conversation = buildConversation({
    id: "c",
    channel_id: "chan-1",
    status: "open",
    assignee_id: ME,
    labels: ["vip"],
    unread_count: 2,
    last_inbound_at: ago(1),
  });

  it("checks every filter", () => {
    expect(conversationMatches(conversation, view(), context)).toBe(true);
    expect(conversationMatches(conversation, view({ folder: "mine" }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ folder: "unassigned" }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ channelId: "chan-1" }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ channelId: "chan-2" }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ status: "pending" }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ status: null }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ assigneeId: ME }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ assigneeId: OTHER }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ label: "vip" }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ label: "billing" }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ unread: true }), context)).toBe(true);
    expect(conversationMatches({ ...conversation, unread_count: 0 }, view({ unread: true }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ window: "open" }), context)).toBe(true);
    expect(conversationMatches(conversation, view({ window: "expiring" }), context)).toBe(false);
    expect(conversationMatches(conversation, view({ window: "closed" }), context)).toBe(false);
  });

  it("cannot decide a search, but knows when a search list must lose a row", () => {
    expect(conversationMatches(conversation, view({ q: "refund" }), context)).toBeNull();
    expect(conversationMatches(conversation, view({ q: "refund", status: "resolved" }), context)).toBe(false);
  });

  it("cannot decide Mine before the signed-in user is known", () => {
    expect(conversationMatches(conversation, view({ folder: "mine" }), { userId: null, now: NOW })).toBeNull();
    expect(
      conversationMatches(conversation, view({ folder: "mine", status: "resolved" }), { userId: null, now: NOW }),
    ).toBe(false);
  });
});

describe("list pages", () => {
  it("removes a row and keeps the others and the cursors", () => {
    const data: ConversationListData = {
      pages: [
        { items: [buildConversation({ id: "a" }), buildConversation({ id: "b" })], next_cursor: "p2" },
        { items: [buildConversation({ id: "c" })], next_cursor: null },
      ],
      pageParams: [null, "p2"],
    };
    const next = removeConversationFromPages(data, "b");
    expect(next.pages.map((p) => [p.items.map((c) => c.id), p.next_cursor])).toEqual([
      [["a"], "p2"],
      [["c"], null],
    ]);
    expect(removeConversationFromPages(data, "zzz")).toBe(data);
  });

  it("keeps a search row's match when a socket copy (without one) replaces it", () => {
    const match = { message_id: "m1", at: "2026-11-20T10:00:00Z", snippet: "about the refund" };
    const row = buildConversation({ id: "a", match });
    const next = upsertConversationInPages(page([row]), { ...buildConversation({ id: "a" }), unread_count: 3 });
    expect(next.pages[0]?.items[0]).toMatchObject({ unread_count: 3, match });
  });

  it("does not insert with insert: false", () => {
    const data = page([buildConversation({ id: "a" })]);
    expect(upsertConversationInPages(data, buildConversation({ id: "b" }), { insert: false })).toBe(data);
  });
});

describe("conversation:updated → every cached list", () => {
  function setup() {
    const queryClient = createTestQueryClient();
    signedIn(queryClient);
    return queryClient;
  }

  function seed(queryClient: QueryClient, filters: ConversationFilters, items: Conversation[], next: string | null = null) {
    queryClient.setQueryData(conversationKeys.list(filters), page(items, next));
  }

  const emit = (queryClient: QueryClient, conversation: Conversation) =>
    applyConversationUpdated(queryClient, { seq: 1, conversation });

  it("resolving moves a conversation from Open to Resolved (in activity order)", () => {
    const queryClient = setup();
    const open = view();
    const resolved = view({ status: "resolved" });
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T11:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T10:00:00Z" });
    const older = buildConversation({ id: "old", status: "resolved", last_message_at: "2026-11-19T10:00:00Z" });
    seed(queryClient, open, [a, b]);
    seed(queryClient, resolved, [older]);

    emit(queryClient, { ...b, status: "resolved" });

    expect(ids(queryClient, open)).toEqual(["a"]);
    expect(ids(queryClient, resolved)).toEqual(["b", "old"]);
    expect(queryClient.getQueryData<Conversation>(conversationKeys.detail("b"))?.status).toBe("resolved");
  });

  it("assigning to me moves it from Unassigned to Mine; assigning to someone else only leaves Unassigned", () => {
    const queryClient = setup();
    const unassigned = view({ folder: "unassigned" });
    const mine = view({ folder: "mine" });
    const all = view();
    const a = buildConversation({ id: "a" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T09:00:00Z" });
    seed(queryClient, unassigned, [a, b]);
    seed(queryClient, mine, []);
    seed(queryClient, all, [a, b]);

    emit(queryClient, { ...a, assignee_id: ME });
    emit(queryClient, { ...b, assignee_id: OTHER });

    expect(ids(queryClient, unassigned)).toEqual([]);
    expect(ids(queryClient, mine)).toEqual(["a"]);
    expect(ids(queryClient, all)).toEqual(["a", "b"]);
  });

  it("reading a conversation takes it out of Unread only; a new message brings it back", () => {
    const queryClient = setup();
    const unread = view({ unread: true });
    const a = buildConversation({ id: "a", unread_count: 2 });
    seed(queryClient, unread, [a]);

    emit(queryClient, { ...a, unread_count: 0 });
    expect(ids(queryClient, unread)).toEqual([]);

    emit(queryClient, { ...a, unread_count: 1, last_message_at: "2026-11-20T12:00:00Z" });
    expect(ids(queryClient, unread)).toEqual(["a"]);
  });

  it("keeps other channels' and other labels' conversations out", () => {
    const queryClient = setup();
    const channel = view({ channelId: "chan-1" });
    const label = view({ label: "vip" });
    seed(queryClient, channel, []);
    seed(queryClient, label, []);

    emit(queryClient, buildConversation({ id: "x", channel_id: "chan-2", labels: ["vip"] }));
    emit(queryClient, buildConversation({ id: "y", channel_id: "chan-1", labels: [] }));

    expect(ids(queryClient, channel)).toEqual(["y"]);
    expect(ids(queryClient, label)).toEqual(["x"]);
  });

  it("Expiring soon gains conversations whose window is closing and loses those the customer reopened", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const queryClient = setup();
    const expiring = view({ window: "expiring", status: null });
    seed(queryClient, expiring, []);
    const closing = buildConversation({ id: "a", channel: { id: "chan-1", kind: "whatsapp", name: "WA" }, last_inbound_at: ago(23) });

    emit(queryClient, closing);
    expect(ids(queryClient, expiring)).toEqual(["a"]);

    emit(queryClient, { ...closing, last_inbound_at: ago(0) });
    expect(ids(queryClient, expiring)).toEqual([]);
  });

  it("a search list only updates the rows it has (the server decides what matches), keeping their match", () => {
    const queryClient = setup();
    const search = view({ q: "refund" });
    const match = { message_id: "m1", at: "2026-11-20T10:00:00Z", snippet: "the refund" };
    const a = buildConversation({ id: "a", match });
    seed(queryClient, search, [a]);

    emit(queryClient, buildConversation({ id: "new" }));
    emit(queryClient, { ...buildConversation({ id: "a" }), unread_count: 4 });
    expect(ids(queryClient, search)).toEqual(["a"]);
    const row = queryClient.getQueryData<ConversationListData>(conversationKeys.list(search))?.pages[0]?.items[0];
    expect(row).toMatchObject({ unread_count: 4, match });

    // It no longer has the status searched: it leaves.
    emit(queryClient, { ...buildConversation({ id: "a" }), status: "resolved" });
    expect(ids(queryClient, search)).toEqual([]);
  });

  it("Mine before the user is known: updates rows in place, inserts nothing", () => {
    const queryClient = createTestQueryClient();
    const mine = view({ folder: "mine" });
    const a = buildConversation({ id: "a", assignee_id: ME, unread_count: 0 });
    seed(queryClient, mine, [a]);

    emit(queryClient, buildConversation({ id: "b", assignee_id: ME }));
    emit(queryClient, { ...a, unread_count: 5 });

    expect(ids(queryClient, mine)).toEqual(["a"]);
    expect(queryClient.getQueryData<ConversationListData>(conversationKeys.list(mine))?.pages[0]?.items[0]?.unread_count).toBe(5);
  });

  it("does not insert a conversation older than everything loaded while more pages remain", () => {
    const queryClient = setup();
    const open = view();
    seed(queryClient, open, [buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" })], "p2");

    emit(queryClient, buildConversation({ id: "ancient", last_message_at: "2026-01-01T10:00:00Z" }));

    expect(ids(queryClient, open)).toEqual(["a"]);
  });

  it("refreshes the folder counts once a burst of updates has settled", () => {
    vi.useFakeTimers();
    const queryClient = setup();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");

    for (let i = 0; i < 5; i += 1) emit(queryClient, buildConversation({ id: `c${i}` }));
    expect(invalidate).not.toHaveBeenCalled();

    vi.advanceTimersByTime(1000);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.counts() });
  });

  it("places a conversation that arrived while the list was loading once the answer lands", async () => {
    const queryClient = setup();
    const filters = view();
    let answer: (page: ConversationListData["pages"][number]) => void = () => undefined;
    const loading = queryClient.fetchInfiniteQuery({
      queryKey: conversationKeys.list(filters),
      queryFn: () => new Promise<ConversationListData["pages"][number]>((resolve) => (answer = resolve)),
      initialPageParam: null,
    });
    await Promise.resolve();
    // The first customer's conversation is in the answer; the second's committed after it
    // was computed, and its event came while the load was in flight (no list to place it in).
    const first = buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" });
    const second = buildConversation({ id: "b", last_message_at: "2026-11-20T10:00:01Z" });
    emit(queryClient, second);
    answer({ items: [first], next_cursor: null });
    await loading;
    expect(ids(queryClient, filters)).toEqual(["b", "a"]);
  });

  it("does not put back what the answer already holds, nor what the list's filters exclude", async () => {
    const queryClient = setup();
    const filters = view();
    let answer: (page: ConversationListData["pages"][number]) => void = () => undefined;
    const loading = queryClient.fetchInfiniteQuery({
      queryKey: conversationKeys.list(filters),
      queryFn: () => new Promise<ConversationListData["pages"][number]>((resolve) => (answer = resolve)),
      initialPageParam: null,
    });
    await Promise.resolve();
    emit(queryClient, buildConversation({ id: "a", unread_count: 1 }));
    emit(queryClient, buildConversation({ id: "r", status: "resolved" }));
    const fresh = { ...buildConversation({ id: "a" }), unread_count: 5 };
    answer({ items: [fresh], next_cursor: null });
    await loading;
    const data = queryClient.getQueryData<ConversationListData>(conversationKeys.list(filters));
    expect(data?.pages.flatMap((p) => p.items)).toEqual([fresh]);
  });

  it("upsertConversation writes the detail without a list row's search match", () => {
    const queryClient = setup();
    const match = { message_id: "m1", at: "2026-11-20T10:00:00Z", snippet: "x" };
    upsertConversation(queryClient, buildConversation({ id: "a", match }));
    expect(queryClient.getQueryData<Conversation>(conversationKeys.detail("a"))).not.toHaveProperty("match");
  });
});
