import { InfiniteQueryObserver, type QueryClient } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ChannelPage, Conversation, ExportPage, Message } from "@/lib/api/types";
import type { ConversationListData, MessageListData } from "@/lib/inbox-cache";
import { authKeys, channelKeys, conversationKeys, exportKeys, messageKeys, teamKeys } from "@/lib/query-keys";
import { createRealtime, type RealtimeSocket, type SocketFactory, type VisibilitySource } from "@/lib/realtime";
import { RealtimeStore } from "@/lib/realtime-store";
import { buildChannel, buildConversation, buildMessage } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

type Handler = (...args: unknown[]) => void;

// Events about the connection itself: socket.io never hands these to `onAny` listeners.
const RESERVED = new Set(["connect", "connect_error", "disconnect"]);

class FakeSocket implements RealtimeSocket {
  handlers = new Map<string, Handler[]>();
  anyHandlers: Handler[] = [];
  connect = vi.fn();
  disconnect = vi.fn();
  /** What the client sent: [event, payload, ack?]. */
  emitted: Array<{ event: string; payload: unknown; ack?: (answer: unknown) => void }> = [];

  on(event: string, listener: (...args: never[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), listener as unknown as Handler]);
    return this;
  }

  onAny(listener: (event: string, ...args: unknown[]) => void): this {
    this.anyHandlers.push(listener as Handler);
    return this;
  }

  offAny(): this {
    this.anyHandlers = [];
    return this;
  }

  emit(event: string, ...args: unknown[]): this {
    const [payload, ack] = args;
    this.emitted.push({ event, payload, ack: typeof ack === "function" ? (ack as (answer: unknown) => void) : undefined });
    return this;
  }

  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }

  /** What the server sending `event` looks like to the client. */
  serverEmit(event: string, ...args: unknown[]): void {
    if (!RESERVED.has(event)) for (const handler of this.anyHandlers) handler(event, ...args);
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }

  /** The client's emits of one event, oldest first. */
  sent(event: string): unknown[] {
    return this.emitted.filter((e) => e.event === event).map((e) => e.payload);
  }
}

function messagesPage(items: Message[], nextCursor: string | null = null): MessageListData {
  return { pages: [{ items, next_cursor: nextCursor }], pageParams: [null] };
}

function conversationsPage(items: Conversation[]): ConversationListData {
  return { pages: [{ items, next_cursor: null }], pageParams: [null] };
}

// Raw cache contents (no render-time dedupe), oldest message first.
function thread(queryClient: QueryClient, conversationId: string): Message[] {
  const data = queryClient.getQueryData<MessageListData>(messageKeys.list(conversationId));
  return [...(data?.pages ?? [])].reverse().flatMap((page) => page.items);
}

function inbox(queryClient: QueryClient): Conversation[] {
  const data = queryClient.getQueryData<ConversationListData>(conversationKeys.list());
  return (data?.pages ?? []).flatMap((page) => page.items);
}

interface SetupOptions {
  refreshToken?: () => Promise<string | null>;
  token?: string;
  visibility?: VisibilitySource | null;
}

function setup(overrides: SetupOptions = {}) {
  const queryClient = createTestQueryClient();
  const socket = new FakeSocket();
  const createSocket = vi.fn<SocketFactory>(() => socket);
  const onAuthFailure = vi.fn();
  const store = new RealtimeStore();
  const tokenListeners = new Set<() => void>();
  let token = overrides.token ?? "old-access";
  /** The stored token changes (a refresh by the API client, another tab). */
  const setToken = (next: string) => {
    token = next;
    for (const listener of tokenListeners) listener();
  };
  const refreshToken = vi.fn(overrides.refreshToken ?? (async () => "fresh-access"));
  const realtime = createRealtime({
    queryClient,
    createSocket,
    store,
    visibility: overrides.visibility ?? null,
    getToken: () => token,
    subscribeToken: (listener) => {
      tokenListeners.add(listener);
      return () => tokenListeners.delete(listener);
    },
    refreshToken: async () => {
      const next = await refreshToken();
      if (next !== null) setToken(next);
      return next;
    },
    onAuthFailure,
  });
  realtime.start();
  /** What the client sends the server on its next connection attempt. */
  const handshake = (): Record<string, unknown> => {
    const auth = createSocket.mock.calls[0]?.[0].auth as (cb: (data: object) => void) => void;
    let sent: Record<string, unknown> = {};
    auth((data) => {
      sent = data as Record<string, unknown>;
    });
    return sent;
  };
  /** A connection attempt that the server accepts. */
  const connect = () => {
    const sent = handshake();
    socket.serverEmit("connect");
    return sent;
  };
  return { queryClient, socket, createSocket, onAuthFailure, refreshToken, realtime, store, setToken, handshake, connect };
}

function ready(socket: FakeSocket, seq: number, extra: Record<string, unknown> = {}) {
  socket.serverEmit("session:ready", { user_id: "u1", tenant_id: "t1", role: "agent", seq, presence: {}, ...extra });
}

describe("realtime connection", () => {
  it("connects same-origin on /socket.io over websocket, sending the current access token", () => {
    const { createSocket } = setup();
    const options = createSocket.mock.calls[0]?.[0];
    expect(options?.path).toBe("/socket.io");
    expect(options?.transports).toEqual(["websocket"]);
    const auth = options?.auth as (cb: (data: object) => void) => void;
    const sent = vi.fn();
    auth(sent);
    expect(sent).toHaveBeenCalledWith({ token: "old-access" });
  });

  it("refreshes the token and reconnects when the server says unauthorized", async () => {
    const { socket, refreshToken, createSocket, onAuthFailure } = setup();
    socket.serverEmit("connect_error", new Error("unauthorized"));
    await vi.waitFor(() => expect(socket.connect).toHaveBeenCalledTimes(1));
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(onAuthFailure).not.toHaveBeenCalled();
    // The reconnect carries the new token.
    const auth = createSocket.mock.calls[0]?.[0].auth as (cb: (data: object) => void) => void;
    const sent = vi.fn();
    auth(sent);
    expect(sent).toHaveBeenCalledWith({ token: "fresh-access" });
  });

  it("logs out when the refresh token is refused", async () => {
    const { socket, onAuthFailure } = setup({ refreshToken: async () => null });
    socket.serverEmit("connect_error", new Error("unauthorized"));
    await vi.waitFor(() => expect(onAuthFailure).toHaveBeenCalledTimes(1));
    expect(socket.connect).not.toHaveBeenCalled();
  });

  it("refreshes only once per connection attempt, then gives up", async () => {
    const { socket, refreshToken, onAuthFailure } = setup();
    socket.serverEmit("connect_error", new Error("unauthorized"));
    await vi.waitFor(() => expect(socket.connect).toHaveBeenCalledTimes(1));
    socket.serverEmit("connect_error", new Error("unauthorized"));
    await vi.waitFor(() => expect(onAuthFailure).toHaveBeenCalledTimes(1));
    expect(refreshToken).toHaveBeenCalledTimes(1);
  });

  it("leaves transport errors to socket.io's own reconnection", async () => {
    const { socket, refreshToken, realtime } = setup();
    socket.serverEmit("connect_error", new Error("websocket error"));
    await Promise.resolve();
    expect(refreshToken).not.toHaveBeenCalled();
    expect(realtime.status()).toBe("connecting");
  });

  it("reports its status and refetches after a reconnect", () => {
    const { socket, realtime, queryClient } = setup();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    socket.serverEmit("connect");
    expect(realtime.status()).toBe("connected");
    expect(invalidate).not.toHaveBeenCalled();
    socket.serverEmit("disconnect", "transport close");
    expect(realtime.status()).toBe("reconnecting");
    socket.serverEmit("connect");
    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.all });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: messageKeys.all });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: channelKeys.all });
  });

  it("stops cleanly", () => {
    const { socket, realtime } = setup();
    realtime.stop();
    expect(socket.disconnect).toHaveBeenCalled();
    expect(socket.handlers.size).toBe(0);
    expect(realtime.status()).toBe("idle");
  });
});

describe("realtime events → query cache", () => {
  let ctx: ReturnType<typeof setup>;

  beforeEach(() => {
    ctx = setup();
  });

  it("message:new appends to the conversation's thread", () => {
    const first = buildMessage({ id: "m1", conversation_id: "c1", created_at: "2026-11-20T10:00:00Z" });
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([first]));
    const incoming = buildMessage({ id: "m2", conversation_id: "c1", created_at: "2026-11-20T10:01:00Z", text: "New!" });

    ctx.socket.serverEmit("message:new", { seq: 1, message: incoming });

    expect(thread(ctx.queryClient, "c1").map((m) => m.id)).toEqual(["m1", "m2"]);
  });

  it("message:new dedupes by id (the POSTed copy may already be there)", () => {
    const posted = buildMessage({ id: "m1", conversation_id: "c1", direction: "outbound", status: "queued" });
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([posted]));

    ctx.socket.serverEmit("message:new", { seq: 1, message: posted });
    ctx.socket.serverEmit("message:new", { seq: 2, message: posted });

    expect(thread(ctx.queryClient, "c1")).toHaveLength(1);
  });

  it("message:new dedupes against older pages too", () => {
    const old = buildMessage({ id: "old", conversation_id: "c1", created_at: "2026-11-19T10:00:00Z" });
    const recent = buildMessage({ id: "recent", conversation_id: "c1", created_at: "2026-11-20T10:00:00Z" });
    ctx.queryClient.setQueryData<MessageListData>(messageKeys.list("c1"), {
      pages: [
        { items: [recent], next_cursor: "p2" },
        { items: [old], next_cursor: null },
      ],
      pageParams: [null, "p2"],
    });

    ctx.socket.serverEmit("message:new", { seq: 1, message: old });

    expect(thread(ctx.queryClient, "c1").map((m) => m.id)).toEqual(["old", "recent"]);
  });

  it("message:new leaves threads that were never opened alone", () => {
    ctx.socket.serverEmit("message:new", { seq: 1, message: buildMessage({ conversation_id: "c9" }) });
    expect(ctx.queryClient.getQueryData(messageKeys.list("c9"))).toBeUndefined();
  });

  it("message:new for a thread still being fetched fetches it again, so the older answer cannot hide it", async () => {
    const incoming = buildMessage({ id: "m2", conversation_id: "c1", text: "Follow-up" });
    let answers = 0;
    // The open thread: its first answer was read before the message's commit and comes
    // back after the message's event.
    const observer = new InfiniteQueryObserver(ctx.queryClient, {
      queryKey: messageKeys.list("c1"),
      initialPageParam: null as string | null,
      getNextPageParam: () => null,
      queryFn: async () => {
        answers += 1;
        if (answers === 1) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { items: [], next_cursor: null };
        }
        return { items: [incoming], next_cursor: null };
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    expect(ctx.queryClient.getQueryState(messageKeys.list("c1"))?.fetchStatus).toBe("fetching");

    ctx.socket.serverEmit("message:new", { seq: 1, message: incoming });

    await vi.waitFor(() => expect(thread(ctx.queryClient, "c1").map((m) => m.text)).toEqual(["Follow-up"]));
    await new Promise((resolve) => setTimeout(resolve, 40)); // the stale answer had its chance
    expect(thread(ctx.queryClient, "c1").map((m) => m.text)).toEqual(["Follow-up"]);
    expect(answers).toBe(2);
    unsubscribe();
  });

  it("message:new moves its conversation to the top of the list with the new preview", () => {
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T09:00:00Z", last_message_preview: "old" });
    ctx.queryClient.setQueryData(conversationKeys.list(), conversationsPage([a, b]));

    ctx.socket.serverEmit("message:new", {
      seq: 1,
      message: buildMessage({ conversation_id: "b", created_at: "2026-11-20T11:00:00Z", text: "latest" }),
    });

    const list = inbox(ctx.queryClient);
    expect(list.map((c) => c.id)).toEqual(["b", "a"]);
    expect(list[0]?.last_message_preview).toBe("latest");
  });

  it("message:new for a conversation no list has waits for the conversation:updated that follows it", () => {
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" });
    ctx.queryClient.setQueryData(conversationKeys.list(), conversationsPage([a]));
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");

    ctx.socket.serverEmit("message:new", {
      seq: 1,
      message: buildMessage({ conversation_id: "new-one", created_at: "2026-11-20T11:00:00Z" }),
    });
    // No refetch of every list for each message of a conversation that is not on screen.
    expect(invalidate).not.toHaveBeenCalled();
    expect(inbox(ctx.queryClient).map((c) => c.id)).toEqual(["a"]);

    ctx.socket.serverEmit("conversation:updated", {
      seq: 2,
      conversation: buildConversation({ id: "new-one", last_message_at: "2026-11-20T11:00:00Z" }),
    });
    expect(inbox(ctx.queryClient).map((c) => c.id)).toEqual(["new-one", "a"]);
  });

  it("message:new for a private note leaves the conversation's place and preview alone", () => {
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T09:00:00Z", last_message_preview: "Hi" });
    ctx.queryClient.setQueryData(conversationKeys.list(), conversationsPage([a, b]));

    ctx.socket.serverEmit("message:new", {
      seq: 1,
      message: buildMessage({ conversation_id: "b", direction: "note", text: "VIP", created_at: "2026-11-20T11:00:00Z" }),
    });

    expect(inbox(ctx.queryClient).map((c) => [c.id, c.last_message_preview])).toEqual([
      ["a", "Hello"],
      ["b", "Hi"],
    ]);
  });

  it("message:updated replaces the message by id", () => {
    const queued = buildMessage({ id: "m1", conversation_id: "c1", direction: "outbound", status: "queued" });
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([queued]));

    ctx.socket.serverEmit("message:updated", { seq: 1, message: { ...queued, status: "sent", external_id: "mid.1" } });
    expect(thread(ctx.queryClient, "c1")[0]).toMatchObject({ status: "sent", external_id: "mid.1" });

    ctx.socket.serverEmit("message:updated", { seq: 2, message: { ...queued, status: "delivered" } });
    expect(thread(ctx.queryClient, "c1")[0]?.status).toBe("delivered");

    const failure = { code: "131047", reason: "Re-engagement message" };
    ctx.socket.serverEmit("message:updated", { seq: 3, message: { ...queued, status: "failed", error: failure } });
    expect(thread(ctx.queryClient, "c1")).toHaveLength(1);
    expect(thread(ctx.queryClient, "c1")[0]).toMatchObject({ status: "failed", error: failure });
  });

  it("message:updated never moves a message back (a late copy of an earlier status)", () => {
    const delivered = buildMessage({ id: "m1", conversation_id: "c1", direction: "outbound", status: "delivered" });
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([delivered]));

    ctx.socket.serverEmit("message:updated", { seq: 5, message: { ...delivered, status: "sent" } });

    expect(thread(ctx.queryClient, "c1")[0]?.status).toBe("delivered");
  });

  it("conversation:updated upserts, re-sorts by last activity, and updates the detail", () => {
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T12:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T11:00:00Z" });
    const c = buildConversation({ id: "c", last_message_at: "2026-11-20T10:00:00Z" });
    ctx.queryClient.setQueryData(conversationKeys.list(), conversationsPage([a, b, c]));
    ctx.queryClient.setQueryData(conversationKeys.detail("c"), c);

    const updated = { ...c, last_message_at: "2026-11-20T13:00:00Z", unread_count: 2, last_message_preview: "hey" };
    ctx.socket.serverEmit("conversation:updated", { seq: 1, conversation: updated });

    expect(inbox(ctx.queryClient).map((x) => x.id)).toEqual(["c", "a", "b"]);
    expect(ctx.queryClient.getQueryData(conversationKeys.detail("c"))).toEqual(updated);

    const fresh = buildConversation({ id: "d", last_message_at: "2026-11-20T11:30:00Z" });
    ctx.socket.serverEmit("conversation:updated", { seq: 2, conversation: fresh });
    expect(inbox(ctx.queryClient).map((x) => x.id)).toEqual(["c", "a", "d", "b"]);
  });

  it("conversation:updated keeps the page sizes across pages", () => {
    const items = ["a", "b", "c", "d"].map((id, i) =>
      buildConversation({ id, last_message_at: `2026-11-20T1${9 - i}:00:00Z` }),
    );
    ctx.queryClient.setQueryData<ConversationListData>(conversationKeys.list(), {
      pages: [
        { items: items.slice(0, 2), next_cursor: "p2" },
        { items: items.slice(2), next_cursor: null },
      ],
      pageParams: [null, "p2"],
    });

    const d = items[3] as Conversation;
    ctx.socket.serverEmit("conversation:updated", { seq: 1, conversation: { ...d, last_message_at: "2026-11-20T20:00:00Z" } });

    const data = ctx.queryClient.getQueryData<ConversationListData>(conversationKeys.list());
    expect(data?.pages.map((p) => p.items.map((c) => c.id))).toEqual([["d", "a"], ["b", "c"]]);
  });

  it("remembers the highest seq seen and ignores malformed payloads", () => {
    ctx.socket.serverEmit("conversation:updated", { seq: 7, conversation: buildConversation() });
    ctx.socket.serverEmit("message:updated", { seq: 3, message: buildMessage() });
    ctx.socket.serverEmit("message:new", { seq: 99 });
    ctx.socket.serverEmit("message:new", "garbage");
    expect(ctx.realtime.lastSeq()).toBe(7);
  });
});

describe("channel:updated → channel list cache", () => {
  let ctx: ReturnType<typeof setup>;
  const channelList = () => ctx.queryClient.getQueryData<ChannelPage>(channelKeys.list())?.items ?? [];

  beforeEach(() => {
    ctx = setup();
  });

  it("replaces the channel by id: status, health and import progress", () => {
    const a = buildChannel({ id: "a" });
    const b = buildChannel({ id: "b", history_import: { status: "running", imported: 2, total: 10, error: null } });
    ctx.queryClient.setQueryData<ChannelPage>(channelKeys.list(), { items: [a, b], next_cursor: null });

    ctx.socket.serverEmit("channel:updated", {
      seq: 4,
      channel: { ...b, history_import: { status: "running", imported: 7, total: 10, error: null } },
    });
    ctx.socket.serverEmit("channel:updated", { seq: 5, channel: { ...a, status: "needs_reauth", health: "needs_reauth" } });

    expect(channelList().map((c) => [c.id, c.status, c.health, c.history_import.imported])).toEqual([
      ["a", "needs_reauth", "needs_reauth", 0],
      ["b", "active", "ok", 7],
    ]);
    expect(ctx.realtime.lastSeq()).toBe(5);
  });

  it("adds a channel the list does not have yet (connected in another tab)", () => {
    ctx.queryClient.setQueryData<ChannelPage>(channelKeys.list(), { items: [buildChannel({ id: "a" })], next_cursor: null });

    ctx.socket.serverEmit("channel:updated", { seq: 1, channel: buildChannel({ id: "new", kind: "whatsapp" }) });

    expect(channelList().map((c) => c.id)).toEqual(["a", "new"]);
  });

  it("refetches conversations when a channel is renamed (their summaries carry its name)", () => {
    const a = buildChannel({ id: "a", name: "Old" });
    ctx.queryClient.setQueryData<ChannelPage>(channelKeys.list(), { items: [a], next_cursor: null });
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");

    ctx.socket.serverEmit("channel:updated", { seq: 1, channel: { ...a, last_event_at: "2026-11-20T10:00:00Z" } });
    expect(invalidate).not.toHaveBeenCalled();

    ctx.socket.serverEmit("channel:updated", { seq: 2, channel: { ...a, name: "New" } });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.all });
  });

  it("leaves an unfetched list alone and ignores malformed payloads", () => {
    ctx.socket.serverEmit("channel:updated", { seq: 1, channel: buildChannel() });
    expect(ctx.queryClient.getQueryData(channelKeys.list())).toBeUndefined();

    const a = buildChannel({ id: "a" });
    ctx.queryClient.setQueryData<ChannelPage>(channelKeys.list(), { items: [a], next_cursor: null });
    ctx.socket.serverEmit("channel:updated", { seq: 9, channel: { id: "a" } });
    ctx.socket.serverEmit("channel:updated", { channel: { ...a, status: "disconnected" } });
    expect(channelList()).toEqual([a]);
    expect(ctx.realtime.lastSeq()).toBe(1);
  });
});

describe("resume: sequence numbers, replay and resync", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resumes from the last applied seq: the replay is applied and nothing is refetched", () => {
    const ctx = setup();
    expect(ctx.connect()).toEqual({ token: "old-access" });
    ready(ctx.socket, 10);
    const c1 = buildConversation({ id: "c1" });
    ctx.socket.serverEmit("conversation:updated", { seq: 11, conversation: c1 });
    ctx.socket.serverEmit("disconnect", "transport close");
    expect(ctx.realtime.status()).toBe("reconnecting");
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([]));
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");

    // socket.io reconnects by itself; the handshake carries where to resume from.
    expect(ctx.connect()).toEqual({ token: "old-access", last_seq: 11 });
    const missed = buildMessage({ id: "m-missed", conversation_id: "c1" });
    ctx.socket.serverEmit("message:new", { seq: 12, message: missed });
    ready(ctx.socket, 12);

    expect(thread(ctx.queryClient, "c1").map((m) => m.id)).toEqual(["m-missed"]);
    expect(invalidate).not.toHaveBeenCalled();
    expect(ctx.realtime.lastSeq()).toBe(12);
  });

  it("refetches the signed-in user when the session comes back with another role", () => {
    const ctx = setup();
    ctx.queryClient.setQueryData(authKeys.me(), { role: "agent" });
    ctx.connect();
    ready(ctx.socket, 7); // same role: nothing to do
    expect(ctx.queryClient.getQueryState(authKeys.me())?.isInvalidated).toBe(false);
    ctx.socket.serverEmit("disconnect", "io server disconnect"); // demoted: the server drops the socket
    ctx.connect();
    ready(ctx.socket, 8, { role: "viewer" });
    expect(ctx.queryClient.getQueryState(authKeys.me())?.isInvalidated).toBe(true);
  });

  it("team:updated refetches the team (pickers, the Team page)", () => {
    const ctx = setup();
    ctx.queryClient.setQueryData(teamKeys.members(), []);
    ctx.connect();
    ready(ctx.socket, 20);
    ctx.socket.serverEmit("team:updated", { user_id: "u9", seq: 21 });
    expect(ctx.queryClient.getQueryState(teamKeys.members())?.isInvalidated).toBe(true);
    expect(ctx.realtime.lastSeq()).toBe(21);
  });

  it("takes its first number from session:ready", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 500);
    expect(ctx.realtime.lastSeq()).toBe(500);
    ctx.socket.serverEmit("disconnect", "transport close");
    expect(ctx.handshake()).toEqual({ token: "old-access", last_seq: 500 });
  });

  it("resync:required refetches conversations, counts, messages and channels, then goes on from the server's number", async () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("disconnect", "transport close");
    ctx.queryClient.setQueryData(conversationKeys.counts(), { all: 1, mine: 0, unassigned: 1, channels: [] });
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([]));
    ctx.queryClient.setQueryData<ChannelPage>(channelKeys.list(), { items: [], next_cursor: null });
    ctx.connect();

    ctx.socket.serverEmit("resync:required", { seq: 9000 });
    ready(ctx.socket, 9000);

    for (const key of [conversationKeys.counts(), messageKeys.list("c1"), channelKeys.list()]) {
      expect(ctx.queryClient.getQueryState(key)?.isInvalidated).toBe(true);
    }
    expect(ctx.realtime.lastSeq()).toBe(9000);
    ctx.socket.serverEmit("conversation:updated", { seq: 9001, conversation: buildConversation({ id: "c1" }) });
    expect(ctx.queryClient.getQueryData(conversationKeys.detail("c1"))).toBeDefined();
    expect(ctx.socket.disconnect).not.toHaveBeenCalled();
  });

  it("drops an event it already applied (same or lower seq)", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    const c1 = buildConversation({ id: "c1", unread_count: 1 });
    ctx.socket.serverEmit("conversation:updated", { seq: 11, conversation: c1 });
    ctx.socket.serverEmit("conversation:updated", { seq: 11, conversation: { ...c1, unread_count: 5 } });
    ctx.socket.serverEmit("conversation:updated", { seq: 9, conversation: { ...c1, unread_count: 7 } });

    expect(ctx.queryClient.getQueryData<Conversation>(conversationKeys.detail("c1"))?.unread_count).toBe(1);
    expect(ctx.realtime.lastSeq()).toBe(11);
  });

  it("a hole in the live sequence reconnects so the server replays it, in order", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.queryClient.setQueryData(messageKeys.list("c1"), messagesPage([]));
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");
    const at = (id: string, minute: number) =>
      buildMessage({ id, conversation_id: "c1", created_at: `2026-11-20T10:0${minute}:00Z` });

    // 11 and 12 never arrived.
    ctx.socket.serverEmit("message:new", { seq: 13, message: at("m13", 3) });
    expect(thread(ctx.queryClient, "c1")).toEqual([]);
    expect(ctx.socket.disconnect).toHaveBeenCalledTimes(1);
    expect(ctx.socket.connect).toHaveBeenCalledTimes(1);
    expect(ctx.realtime.status()).toBe("reconnecting");

    expect(ctx.connect()).toEqual({ token: "old-access", last_seq: 10 });
    ctx.socket.serverEmit("message:new", { seq: 11, message: at("m11", 1) });
    ctx.socket.serverEmit("message:new", { seq: 12, message: at("m12", 2) });
    ctx.socket.serverEmit("message:new", { seq: 13, message: at("m13", 3) });
    ready(ctx.socket, 13);

    expect(thread(ctx.queryClient, "c1").map((m) => m.id)).toEqual(["m11", "m12", "m13"]);
    expect(invalidate).not.toHaveBeenCalled();
  });

  it("a second hole soon after refetches instead of reconnecting again", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("conversation:updated", { seq: 12, conversation: buildConversation({ id: "c1" }) });
    ctx.connect();
    ready(ctx.socket, 12);
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");

    ctx.socket.serverEmit("conversation:updated", { seq: 20, conversation: buildConversation({ id: "c2" }) });

    expect(ctx.socket.disconnect).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.all });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: messageKeys.all });
    expect(ctx.queryClient.getQueryData(conversationKeys.detail("c2"))).toBeDefined();
    expect(ctx.realtime.lastSeq()).toBe(20);
  });

  it("a replay that does not reach the server's number refetches", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("disconnect", "transport close");
    ctx.connect();
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");
    ctx.socket.serverEmit("conversation:updated", { seq: 11, conversation: buildConversation() });
    ready(ctx.socket, 15);

    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.all });
    expect(ctx.realtime.lastSeq()).toBe(15);
    expect(ctx.socket.disconnect).not.toHaveBeenCalled();
  });

  it("counts numbered events it does not show, so they are no hole", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("label:renamed", { seq: 11, from: "vip", to: "VIP" });
    ctx.socket.serverEmit("conversation:updated", { seq: 12, conversation: buildConversation({ id: "c1" }) });

    expect(ctx.socket.disconnect).not.toHaveBeenCalled();
    expect(ctx.queryClient.getQueryData(conversationKeys.detail("c1"))).toBeDefined();
    expect(ctx.realtime.lastSeq()).toBe(12);
  });
});

describe("session expiry and token refresh", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const jwt = (expiresAt: number) =>
    `h.${btoa(JSON.stringify({ exp: Math.floor(expiresAt / 1000) })).replace(/=+$/, "")}.sig`;

  it("session:expired: refreshes the token, then reconnects with it and resumes", async () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("session:expired", {});
    ctx.socket.serverEmit("disconnect", "io server disconnect");

    await vi.waitFor(() => expect(ctx.socket.connect).toHaveBeenCalledTimes(1));
    expect(ctx.refreshToken).toHaveBeenCalledTimes(1);
    expect(ctx.handshake()).toEqual({ token: "fresh-access", last_seq: 10 });
  });

  it("session:expired after another tab refreshed: reconnects with that token, no refresh", async () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("session:expired", {});
    ctx.setToken("from-other-tab");
    ctx.socket.serverEmit("disconnect", "io server disconnect");

    await vi.waitFor(() => expect(ctx.socket.connect).toHaveBeenCalledTimes(1));
    expect(ctx.refreshToken).not.toHaveBeenCalled();
    expect(ctx.handshake()).toMatchObject({ token: "from-other-tab" });
  });

  it("session:expired with a refused refresh token ends the session", async () => {
    const ctx = setup({ refreshToken: async () => null });
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("session:expired", {});
    ctx.socket.serverEmit("disconnect", "io server disconnect");

    await vi.waitFor(() => expect(ctx.onAuthFailure).toHaveBeenCalledTimes(1));
    expect(ctx.socket.connect).not.toHaveBeenCalled();
  });

  it("reconnects with a back-off when the server closes the connection for another reason", () => {
    vi.useFakeTimers();
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.socket.serverEmit("session:revoked", {});
    ctx.socket.serverEmit("disconnect", "io server disconnect");
    expect(ctx.realtime.status()).toBe("reconnecting");
    expect(ctx.socket.connect).not.toHaveBeenCalled();

    vi.advanceTimersByTime(1000);
    expect(ctx.socket.connect).toHaveBeenCalledTimes(1);
    expect(ctx.refreshToken).not.toHaveBeenCalled(); // a refused reconnect refreshes (see above)
  });

  it("hands a refreshed access token to the server (auth:refresh) so the socket keeps its authority", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);

    ctx.setToken("renewed-access");
    const [request] = ctx.socket.emitted.filter((e) => e.event === "auth:refresh");
    expect(request?.payload).toEqual({ token: "renewed-access" });
    request?.ack?.({ ok: true });

    // The server knows the new token now: an expiry of it means refreshing again.
    ctx.setToken("renewed-access");
    expect(ctx.socket.sent("auth:refresh")).toHaveLength(1);
  });

  it("does not send auth:refresh while not connected (the next handshake carries the token)", () => {
    const ctx = setup();
    ctx.setToken("renewed-access");
    expect(ctx.socket.sent("auth:refresh")).toEqual([]);
  });

  it("starts over from scratch when the new token is another user's", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 10);
    ctx.setToken("someone-else");
    ctx.socket.emitted.find((e) => e.event === "auth:refresh")?.ack?.({ ok: false, error: "forbidden" });

    expect(ctx.socket.disconnect).toHaveBeenCalledTimes(1);
    expect(ctx.socket.connect).toHaveBeenCalledTimes(1);
    const invalidate = vi.spyOn(ctx.queryClient, "invalidateQueries");
    expect(ctx.connect()).toEqual({ token: "someone-else" });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: conversationKeys.all });
  });

  it("refreshes the access token shortly before it expires", async () => {
    vi.useFakeTimers();
    const ctx = setup({ token: jwt(Date.now() + 5 * 60_000) });
    ctx.connect();
    ready(ctx.socket, 10);

    vi.advanceTimersByTime(4 * 60_000 - 1000);
    expect(ctx.refreshToken).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(ctx.refreshToken).toHaveBeenCalledTimes(1);
    expect(ctx.socket.sent("auth:refresh")).toEqual([{ token: "fresh-access" }]);
  });
});

describe("rooms, typing, viewers and presence", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const viewers = [
    { user_id: "u1", name: "Me Myself", typing: false },
    { user_id: "u2", name: "Ana Agent", typing: true },
  ];

  it("joins an open conversation once connected, again after every reconnect, and leaves it", () => {
    const ctx = setup();
    const leave = ctx.realtime.join("c1");
    expect(ctx.socket.sent("conversation:join")).toEqual([]); // not connected: nothing queued

    ctx.connect();
    const [joined] = ctx.socket.emitted.filter((e) => e.event === "conversation:join");
    expect(joined?.payload).toEqual({ conversation_id: "c1" });
    joined?.ack?.({ ok: true, viewers });
    expect(ctx.store.getState().viewers.get("c1")?.map((v) => v.userId)).toEqual(["u1", "u2"]);

    ctx.socket.serverEmit("disconnect", "transport close");
    expect(ctx.store.getState().viewers.size).toBe(0);
    ctx.connect();
    expect(ctx.socket.sent("conversation:join")).toHaveLength(2);

    leave();
    expect(ctx.socket.sent("conversation:leave")).toEqual([{ conversation_id: "c1" }]);
    ctx.socket.serverEmit("disconnect", "transport close");
    ctx.connect();
    expect(ctx.socket.sent("conversation:join")).toHaveLength(2);
  });

  it("keeps what the join's answer said when session:ready comes after it", () => {
    const ctx = setup();
    ctx.realtime.join("c1");
    ctx.connect();
    ctx.socket.emitted.find((e) => e.event === "conversation:join")?.ack?.({ ok: true, viewers });
    ready(ctx.socket, 1);
    expect(ctx.store.getState().typing.get("c1")).toEqual([{ userId: "u2", name: "Ana Agent" }]);
    expect(ctx.store.getState().viewers.get("c1")).toHaveLength(2);
  });

  it("a refused join leaves nothing behind", () => {
    const ctx = setup();
    ctx.connect();
    ctx.realtime.join("c-other-tenant");
    ctx.socket.emitted.find((e) => e.event === "conversation:join")?.ack?.({ ok: false, error: "not_found" });
    expect(ctx.store.getState().viewers.size).toBe(0);
  });

  it("conversation:viewers replaces the list of a joined conversation only", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 1);
    ctx.realtime.join("c1");
    ctx.socket.serverEmit("conversation:viewers", { conversation_id: "c1", viewers });
    ctx.socket.serverEmit("conversation:viewers", { conversation_id: "c9", viewers });
    expect([...ctx.store.getState().viewers.keys()]).toEqual(["c1"]);
    expect(ctx.store.getState().typing.get("c1")).toEqual([{ userId: "u2", name: "Ana Agent" }]);
  });

  it("typing shows until typing:stop, never for ourselves", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 1);
    ctx.socket.serverEmit("typing:start", { conversation_id: "c1", user_id: "u2", name: "Ana Agent" });
    ctx.socket.serverEmit("typing:start", { conversation_id: "c1", user_id: "u1", name: "Me (another tab)" });
    expect(ctx.store.getState().typing.get("c1")).toEqual([{ userId: "u2", name: "Ana Agent" }]);

    ctx.socket.serverEmit("typing:stop", { conversation_id: "c1", user_id: "u2", name: "Ana Agent" });
    expect(ctx.store.getState().typing.get("c1")).toBeUndefined();
  });

  it("typing ends by itself 8 s after the last typing:start when no stop arrives", () => {
    vi.useFakeTimers();
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 1);
    const start = () => ctx.socket.serverEmit("typing:start", { conversation_id: "c1", user_id: "u2", name: "Ana Agent" });

    start();
    vi.advanceTimersByTime(7_000);
    start(); // still typing: the clock starts again
    vi.advanceTimersByTime(7_000);
    expect(ctx.store.getState().typing.get("c1")).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(ctx.store.getState().typing.get("c1")).toBeUndefined();
  });

  it("a lost connection forgets who was typing (their stop may never come)", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 1);
    ctx.socket.serverEmit("typing:start", { conversation_id: "c1", user_id: "u2", name: "Ana Agent" });
    ctx.socket.serverEmit("disconnect", "transport close");
    expect(ctx.store.getState().typing.size).toBe(0);
  });

  it("sends typing only in a joined conversation, once the session is ready", () => {
    const ctx = setup();
    ctx.realtime.join("c1");
    ctx.connect();
    ctx.realtime.typing("c1", true); // before session:ready: the role is not known yet
    ready(ctx.socket, 1);
    ctx.realtime.typing("c1", true);
    ctx.realtime.typing("c2", true); // not joined
    ctx.realtime.typing("c1", false);

    expect(ctx.socket.emitted.filter((e) => e.event.startsWith("typing:")).map((e) => [e.event, e.payload])).toEqual([
      ["typing:start", { conversation_id: "c1" }],
      ["typing:stop", { conversation_id: "c1" }],
    ]);
  });

  it("never sends typing as a viewer", () => {
    const ctx = setup();
    ctx.realtime.join("c1");
    ctx.connect();
    ready(ctx.socket, 1, { role: "viewer" });
    ctx.realtime.typing("c1", true);
    expect(ctx.socket.emitted.filter((e) => e.event.startsWith("typing:"))).toEqual([]);
  });

  it("presence: the picture from session:ready, then each presence:changed", () => {
    const ctx = setup();
    ctx.connect();
    ready(ctx.socket, 1, { presence: { u1: "online", u2: "away" } });
    expect(Object.fromEntries(ctx.store.getState().presence)).toEqual({ u1: "online", u2: "away" });

    ctx.socket.serverEmit("presence:changed", { user_id: "u2", status: "online" });
    ctx.socket.serverEmit("presence:changed", { user_id: "u1", status: "offline" });
    ctx.socket.serverEmit("presence:changed", { user_id: "u3", status: "sleeping" });
    expect(Object.fromEntries(ctx.store.getState().presence)).toEqual({ u2: "online" });
  });

  it("shows as away after the tab has been hidden for a minute, online again when it is back", () => {
    vi.useFakeTimers();
    let visibilityState: DocumentVisibilityState = "visible";
    let onChange: () => void = () => {};
    const visibility: VisibilitySource = {
      get visibilityState() {
        return visibilityState;
      },
      addEventListener: (_type, listener) => {
        onChange = listener;
      },
      removeEventListener: () => {},
    };
    const ctx = setup({ visibility });
    ctx.connect();
    ready(ctx.socket, 1);

    visibilityState = "hidden";
    onChange();
    vi.advanceTimersByTime(59_000);
    visibilityState = "visible"; // back in time: nothing was sent
    onChange();
    visibilityState = "hidden";
    onChange();
    vi.advanceTimersByTime(60_000);
    expect(ctx.socket.sent("presence:set")).toEqual([{ status: "away" }]);

    // A reconnect while away: the server starts us online, so say it again.
    ctx.socket.serverEmit("disconnect", "transport close");
    ctx.connect();
    expect(ctx.socket.sent("presence:set")).toEqual([{ status: "away" }, { status: "away" }]);

    visibilityState = "visible";
    onChange();
    expect(ctx.socket.sent("presence:set")).toEqual([{ status: "away" }, { status: "away" }, { status: "online" }]);
  });
});

describe("data rights events → query cache", () => {
  it("conversation:deleted drops the conversation from every list and forgets its thread", () => {
    const ctx = setup();
    const a = buildConversation({ id: "a", last_message_at: "2026-11-20T10:00:00Z" });
    const b = buildConversation({ id: "b", last_message_at: "2026-11-20T09:00:00Z" });
    ctx.queryClient.setQueryData(conversationKeys.list(), conversationsPage([a, b]));
    ctx.queryClient.setQueryData(conversationKeys.detail("a"), a);
    ctx.queryClient.setQueryData(messageKeys.list("a"), { pages: [{ items: [buildMessage({ conversation_id: "a" })], next_cursor: null }], pageParams: [null] });

    ctx.socket.serverEmit("conversation:deleted", { seq: 1, conversation_id: "a" });

    expect(inbox(ctx.queryClient).map((c) => c.id)).toEqual(["b"]);
    expect(ctx.queryClient.getQueryData(conversationKeys.detail("a"))).toBeUndefined();
    expect(ctx.queryClient.getQueryData(messageKeys.list("a"))).toBeUndefined();
    expect(ctx.realtime.lastSeq()).toBe(1);
  });

  it("export:updated replaces the export in the list, or adds it first", () => {
    const ctx = setup();
    const base = {
      status: "running",
      progress: 10,
      size_bytes: null,
      error: null,
      requested_by_user_id: "u1",
      created_at: "2026-11-20T10:00:00Z",
      finished_at: null,
      expires_at: null,
      downloadable: false,
    } as const;
    ctx.queryClient.setQueryData<ExportPage>(exportKeys.list(), { items: [{ id: "e1", ...base }], next_cursor: null });

    ctx.socket.serverEmit("export:updated", { seq: 1, export: { id: "e1", ...base, progress: 55 } });
    ctx.socket.serverEmit("export:updated", { seq: 2, export: { id: "e2", ...base, status: "queued", progress: 0 } });

    const items = ctx.queryClient.getQueryData<ExportPage>(exportKeys.list())?.items ?? [];
    expect(items.map((e) => [e.id, e.progress])).toEqual([
      ["e2", 0],
      ["e1", 55],
    ]);
  });
});
