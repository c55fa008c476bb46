/**
 * The one module that owns the Socket.IO connection. It turns server events into writes on
 * the TanStack Query cache; components only read the cache (and the connection status).
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";

import { refreshAccessToken } from "@/lib/api/client";
import type { Channel, Conversation, Message } from "@/lib/api/types";
import { clearTokens, getAccessToken } from "@/lib/auth";
import { upsertChannel } from "@/lib/channels-cache";
import { bumpConversationForMessage, scheduleCountsRefresh, upsertConversation, upsertMessage } from "@/lib/inbox-cache";
import { channelKeys, conversationKeys, messageKeys } from "@/lib/query-keys";

export type RealtimeStatus = "idle" | "connecting" | "connected" | "reconnecting" | "offline";

export interface MessageEvent {
  seq: number;
  message: Message;
}

export interface ConversationEvent {
  seq: number;
  conversation: Conversation;
}

export interface ChannelEvent {
  seq: number;
  channel: Channel;
}

type Listener = (...args: never[]) => void;

/** The part of a socket.io-client Socket this module uses (a fake one stands in for tests). */
export interface RealtimeSocket {
  on(event: string, listener: Listener): unknown;
  connect(): unknown;
  disconnect(): unknown;
  removeAllListeners(): unknown;
}

export type SocketFactory = (options: Partial<ManagerOptions & SocketOptions>) => RealtimeSocket;

export interface RealtimeOptions {
  queryClient: QueryClient;
  getToken?: () => string | null;
  /** Resolves to a new access token, null if the refresh token was refused; throws if unreachable. */
  refreshToken?: () => Promise<string | null>;
  /** Called when the server refuses us even after a refresh: the session is over. */
  onAuthFailure?: () => void;
  createSocket?: SocketFactory;
  /** Delay before reconnecting after a refresh that could not reach the server. */
  retryDelayMs?: number;
}

export interface Realtime {
  start(): void;
  stop(): void;
  /** Highest per-tenant sequence number seen (for resume once the server supports it). */
  lastSeq(): number | null;
  status(): RealtimeStatus;
  subscribe(listener: () => void): () => void;
}

// --- Event → cache -------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object";
}

function isMessageEvent(payload: unknown): payload is MessageEvent {
  return (
    isRecord(payload) &&
    typeof payload.seq === "number" &&
    isRecord(payload.message) &&
    typeof payload.message.id === "string" &&
    typeof payload.message.conversation_id === "string"
  );
}

function isConversationEvent(payload: unknown): payload is ConversationEvent {
  return (
    isRecord(payload) &&
    typeof payload.seq === "number" &&
    isRecord(payload.conversation) &&
    typeof payload.conversation.id === "string"
  );
}

function isChannelEvent(payload: unknown): payload is ChannelEvent {
  return (
    isRecord(payload) &&
    typeof payload.seq === "number" &&
    isRecord(payload.channel) &&
    typeof payload.channel.id === "string" &&
    typeof payload.channel.status === "string"
  );
}

/**
 * `message:new`: append to the thread (deduped by id) and move its conversation to the top.
 * A conversation no list has yet needs no refetch: the server follows every message that
 * changes a conversation with `conversation:updated`, which places it in the lists it matches.
 */
export function applyMessageNew(queryClient: QueryClient, event: MessageEvent): void {
  upsertMessage(queryClient, event.message);
  bumpConversationForMessage(queryClient, event.message);
}

/** `message:updated`: replace the message by id (delivery status, failure reason...). */
export function applyMessageUpdated(queryClient: QueryClient, event: MessageEvent): void {
  upsertMessage(queryClient, event.message);
}

/**
 * `conversation:updated`: into the detail entry and every cached list it matches (re-sorted
 * by activity), out of those it no longer matches; the folder counts follow, debounced.
 */
export function applyConversationUpdated(queryClient: QueryClient, event: ConversationEvent): void {
  upsertConversation(queryClient, event.conversation);
  scheduleCountsRefresh(queryClient);
}

/** `channel:updated`: replace the channel in the list (status, health, history import progress). */
export function applyChannelUpdated(queryClient: QueryClient, event: ChannelEvent): void {
  upsertChannel(queryClient, event.channel);
}

// --- Connection ----------------------------------------------------------------------

function isUnauthorized(error: unknown): boolean {
  const parts: string[] = [];
  if (error instanceof Error) parts.push(error.message);
  if (isRecord(error) && error.data !== undefined) parts.push(JSON.stringify(error.data));
  return /unauthori[sz]ed|invalid[_ ]token|expired|forbidden|\b401\b|rejected by server/i.test(parts.join(" "));
}

const defaultSocketFactory: SocketFactory = (options) => io(options);

export function createRealtime(options: RealtimeOptions): Realtime {
  const {
    queryClient,
    getToken = getAccessToken,
    refreshToken = refreshAccessToken,
    onAuthFailure = clearTokens,
    createSocket = defaultSocketFactory,
    retryDelayMs = 5000,
  } = options;

  let socket: RealtimeSocket | null = null;
  let seq: number | null = null;
  let state: RealtimeStatus = "idle";
  let everConnected = false;
  let refreshedThisAttempt = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  const listeners = new Set<() => void>();

  function setState(next: RealtimeStatus): void {
    if (state === next) return;
    state = next;
    for (const listener of listeners) listener();
  }

  function track(payloadSeq: number): void {
    if (seq === null || payloadSeq > seq) seq = payloadSeq;
  }

  function on<T>(event: string, guard: (p: unknown) => p is T, apply: (qc: QueryClient, p: T) => void): void {
    socket?.on(event, (payload: unknown) => {
      if (!guard(payload)) return;
      track((payload as { seq: number }).seq);
      apply(queryClient, payload);
    });
  }

  async function recoverFromUnauthorized(current: RealtimeSocket): Promise<void> {
    if (refreshedThisAttempt) {
      onAuthFailure();
      return;
    }
    refreshedThisAttempt = true;
    let token: string | null;
    try {
      token = await refreshToken();
    } catch {
      // Could not reach the server to refresh: try the whole thing again a bit later.
      refreshedThisAttempt = false;
      retryTimer = setTimeout(() => {
        if (socket === current) current.connect();
      }, retryDelayMs);
      return;
    }
    if (token === null) {
      onAuthFailure();
      return;
    }
    // The auth callback reads the (now refreshed) token on every connection attempt.
    if (socket === current) current.connect();
  }

  function start(): void {
    if (socket !== null) return;
    setState("connecting");
    const current = createSocket({
      path: "/socket.io",
      transports: ["websocket"],
      auth: (cb: (data: object) => void) => cb({ token: getToken() }),
    });
    socket = current;

    current.on("connect", () => {
      refreshedThisAttempt = false;
      if (everConnected) {
        // Events may have been missed while disconnected: refetch what is on screen.
        void queryClient.invalidateQueries({ queryKey: conversationKeys.all });
        void queryClient.invalidateQueries({ queryKey: messageKeys.all });
        void queryClient.invalidateQueries({ queryKey: channelKeys.all });
      }
      everConnected = true;
      setState("connected");
    });
    current.on("disconnect", (reason: string) => {
      setState(reason === "io client disconnect" ? "offline" : "reconnecting");
    });
    current.on("connect_error", (error: unknown) => {
      setState(everConnected ? "reconnecting" : "connecting");
      if (isUnauthorized(error)) void recoverFromUnauthorized(current);
    });

    on("message:new", isMessageEvent, applyMessageNew);
    on("message:updated", isMessageEvent, applyMessageUpdated);
    on("conversation:updated", isConversationEvent, applyConversationUpdated);
    on("channel:updated", isChannelEvent, applyChannelUpdated);
  }

  function stop(): void {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    const current = socket;
    socket = null;
    if (current !== null) {
      current.removeAllListeners();
      current.disconnect();
    }
    setState("idle");
  }

  return {
    start,
    stop,
    lastSeq: () => seq,
    status: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// --- React binding -------------------------------------------------------------------

let active: Realtime | null = null;
const activeListeners = new Set<() => void>();

function subscribeActive(listener: () => void): () => void {
  activeListeners.add(listener);
  return () => {
    activeListeners.delete(listener);
  };
}

function setActive(next: Realtime | null): void {
  active = next;
  for (const listener of activeListeners) listener();
}

/**
 * Keeps the realtime connection open while the calling component (the signed-in layout) is
 * mounted, and returns the connection status for display.
 */
export function useRealtimeConnection(): RealtimeStatus {
  const queryClient = useQueryClient();
  useEffect(() => {
    const realtime = createRealtime({ queryClient });
    const unsubscribe = realtime.subscribe(() => {
      for (const listener of activeListeners) listener();
    });
    setActive(realtime);
    realtime.start();
    return () => {
      unsubscribe();
      realtime.stop();
      if (active === realtime) setActive(null);
    };
  }, [queryClient]);
  return useSyncExternalStore(
    subscribeActive,
    () => active?.status() ?? "idle",
    () => "idle",
  );
}
