import type { QueryClient } from "@tanstack/react-query";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ChannelPage, Conversation, Message } from "@/lib/api/types";
import type { ConversationListData, MessageListData } from "@/lib/inbox-cache";
import { channelKeys, conversationKeys, messageKeys } from "@/lib/query-keys";
import { createRealtime, type RealtimeSocket, type SocketFactory } from "@/lib/realtime";
import { buildChannel, buildConversation, buildMessage } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

type Handler = (...args: unknown[]) => void;

class FakeSocket implements RealtimeSocket {
  handlers = new Map<string, Handler[]>();
  connect = vi.fn();
  disconnect = vi.fn();

  on(event: string, listener: (...args: never[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), listener as unknown as Handler]);
    return this;
  }

  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }

  /** What the server sending `event` looks like to the client. */
  serverEmit(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
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

function setup(overrides: { refreshToken?: () => Promise<string | null> } = {}) {
  const queryClient = createTestQueryClient();
  const socket = new FakeSocket();
  const createSocket = vi.fn<SocketFactory>(() => socket);
  const onAuthFailure = vi.fn();
  const refreshToken = vi.fn(overrides.refreshToken ?? (async () => "fresh-access"));
  let token = "old-access";
  const realtime = createRealtime({
    queryClient,
    createSocket,
    getToken: () => token,
    refreshToken: async () => {
      const next = await refreshToken();
      if (next !== null) token = next;
      return next;
    },
    onAuthFailure,
  });
  realtime.start();
  return { queryClient, socket, createSocket, onAuthFailure, refreshToken, realtime };
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
