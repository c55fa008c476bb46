/**
 * The one module that owns the Socket.IO connection. It turns server events into writes on
 * the TanStack Query cache (server data) and on the realtime store (session, presence,
 * typing, viewers); components only read those, and talk back through the hooks at the end.
 *
 * Nothing missed: every tenant event carries the tenant's sequence number `seq`. The highest
 * one applied goes out as `auth.last_seq` on every (re)connect, and the server first replays
 * what came after it, in order, then sends `session:ready`; when it no longer has all of
 * them it says `resync:required` and the cached queries are refetched. An event at or below
 * the last number is a duplicate and is dropped; one past a hole means events were lost on
 * the way, so the client reconnects to have the hole replayed (or refetches, if that was
 * just tried).
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";

import { refreshAccessToken } from "@/lib/api/client";
import type { Channel, Conversation, ExportPage, Message, Role, TenantExport } from "@/lib/api/types";
import { clearTokens, getAccessToken, subscribeTokens } from "@/lib/auth";
import { upsertChannel } from "@/lib/channels-cache";
import {
  bumpConversationForMessage,
  removeConversation,
  scheduleCountsRefresh,
  upsertConversation,
  upsertMessage,
} from "@/lib/inbox-cache";
import { authKeys, channelKeys, conversationKeys, exportKeys, messageKeys, teamKeys, trashKeys } from "@/lib/query-keys";
import { realtimeStore, type PresenceStatus, type RealtimeStore, type Viewer } from "@/lib/realtime-store";

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
  /** Every server event but the connection's own (connect, disconnect, connect_error). */
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  offAny(): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
  removeAllListeners(): unknown;
}

export type SocketFactory = (options: Partial<ManagerOptions & SocketOptions>) => RealtimeSocket;

/** Where the tab's visibility comes from (the document; a stand-in in tests). */
export interface VisibilitySource {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: "visibilitychange", listener: () => void): void;
  removeEventListener(type: "visibilitychange", listener: () => void): void;
}

export interface RealtimeOptions {
  queryClient: QueryClient;
  getToken?: () => string | null;
  /** Resolves to a new access token, null if the refresh token was refused; throws if unreachable. */
  refreshToken?: () => Promise<string | null>;
  /** Calls the listener whenever the stored tokens change (a refresh, another tab). */
  subscribeToken?: (listener: () => void) => () => void;
  /** Called when the server refuses us even after a refresh: the session is over. */
  onAuthFailure?: () => void;
  createSocket?: SocketFactory;
  store?: RealtimeStore;
  /** null: no visibility tracking (never "away"). */
  visibility?: VisibilitySource | null;
  /** Delay before reconnecting after a refresh that could not reach the server. */
  retryDelayMs?: number;
  /** First delay before reconnecting after the server closed the connection (doubles each time). */
  serverRetryDelayMs?: number;
  /** How long the tab must stay hidden before the user shows as away. */
  awayAfterMs?: number;
  /** Refresh the access token this long before it expires, so the socket keeps its authority. */
  refreshAheadMs?: number;
  /** After reconnecting to fill a hole in the sequence, a new hole this soon refetches instead. */
  gapResumeCooldownMs?: number;
}

export interface Realtime {
  start(): void;
  stop(): void;
  /** Highest per-tenant sequence number applied (sent as `last_seq` when reconnecting). */
  lastSeq(): number | null;
  status(): RealtimeStatus;
  subscribe(listener: () => void): () => void;
  /** Be in the conversation's room while the returned function is not called (re-joined after reconnects). */
  join(conversationId: string): () => void;
  /** Tell the others this user started or stopped typing in a joined conversation (never as a viewer). */
  typing(conversationId: string, typing: boolean): void;
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
  refetchThreadIfInFlight(queryClient, event.message.conversation_id);
  bumpConversationForMessage(queryClient, event.message);
}

/** `message:updated`: replace the message by id (delivery status, failure reason...). */
export function applyMessageUpdated(queryClient: QueryClient, event: MessageEvent): void {
  upsertMessage(queryClient, event.message);
  refetchThreadIfInFlight(queryClient, event.message.conversation_id);
}

/**
 * A thread being fetched while its event arrives (say, opened just as the customer wrote)
 * would be overwritten by an answer read before that commit, or had nothing to write the
 * event into yet. Events follow their commit, so fetching again now cannot miss it.
 */
function refetchThreadIfInFlight(queryClient: QueryClient, conversationId: string): void {
  const key = messageKeys.list(conversationId);
  if (queryClient.getQueryState(key)?.fetchStatus === "fetching") {
    // Cancel first: a first load (no data yet) would otherwise just be joined, not redone.
    void queryClient
      .cancelQueries({ queryKey: key, exact: true })
      .then(() => queryClient.refetchQueries({ queryKey: key, exact: true }));
  }
}

/**
 * `conversation:updated`: into the detail entry and every cached list it matches (re-sorted
 * by activity), out of those it no longer matches; the folder counts follow, debounced.
 */
export function applyConversationUpdated(queryClient: QueryClient, event: ConversationEvent): void {
  upsertConversation(queryClient, event.conversation);
  scheduleCountsRefresh(queryClient);
}

export interface ConversationDeletedEvent {
  seq: number;
  conversation_id: string;
}

function isConversationDeletedEvent(payload: unknown): payload is ConversationDeletedEvent {
  return isRecord(payload) && typeof payload.seq === "number" && typeof payload.conversation_id === "string";
}

/** `conversation:deleted`: moved to the trash; out of every list, and the trash is stale. */
export function applyConversationDeleted(queryClient: QueryClient, event: ConversationDeletedEvent): void {
  removeConversation(queryClient, event.conversation_id);
  void queryClient.invalidateQueries({ queryKey: trashKeys.all });
}

export interface ExportEvent {
  seq: number;
  export: TenantExport;
}

function isExportEvent(payload: unknown): payload is ExportEvent {
  return (
    isRecord(payload) &&
    typeof payload.seq === "number" &&
    isRecord(payload.export) &&
    typeof payload.export.id === "string" &&
    typeof payload.export.status === "string"
  );
}

/** `export:updated`: a data export's progress and outcome, into the exports list. */
export function applyExportUpdated(queryClient: QueryClient, event: ExportEvent): void {
  const incoming = event.export;
  queryClient.setQueryData<ExportPage>(exportKeys.list(), (data) => {
    if (data === undefined) return data;
    const found = data.items.some((item) => item.id === incoming.id);
    const items = found ? data.items.map((item) => (item.id === incoming.id ? incoming : item)) : [incoming, ...data.items];
    return { ...data, items };
  });
}

/** `channel:updated`: replace the channel in the list (status, health, history import progress). */
export function applyChannelUpdated(queryClient: QueryClient, event: ChannelEvent): void {
  upsertChannel(queryClient, event.channel);
}

// --- Session, presence, typing, viewers ----------------------------------------------

interface SessionReady {
  seq: number;
  user_id: string;
  tenant_id: string;
  role: Role;
  presence?: Record<string, string>;
}

interface TypingEvent {
  conversation_id: string;
  user_id: string;
  name?: string;
}

interface ViewersEvent {
  conversation_id: string;
  viewers: Array<{ user_id: string; name: string; typing: boolean }>;
}

const PRESENCE: readonly string[] = ["online", "away", "offline"] satisfies PresenceStatus[];

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isSessionReady(payload: unknown): payload is SessionReady {
  return (
    isRecord(payload) &&
    isSeq(payload.seq) &&
    typeof payload.user_id === "string" &&
    typeof payload.tenant_id === "string" &&
    typeof payload.role === "string" &&
    (payload.presence === undefined || isRecord(payload.presence))
  );
}

function isTypingEvent(payload: unknown): payload is TypingEvent {
  return isRecord(payload) && typeof payload.conversation_id === "string" && typeof payload.user_id === "string";
}

function isViewerList(value: unknown): value is ViewersEvent["viewers"] {
  return (
    Array.isArray(value) &&
    value.every((v) => isRecord(v) && typeof v.user_id === "string" && typeof v.name === "string" && typeof v.typing === "boolean")
  );
}

function isViewersEvent(payload: unknown): payload is ViewersEvent {
  return isRecord(payload) && typeof payload.conversation_id === "string" && isViewerList(payload.viewers);
}

function toViewers(list: ViewersEvent["viewers"]): Viewer[] {
  return list.map((v) => ({ userId: v.user_id, name: v.name, typing: v.typing }));
}

// --- Connection ----------------------------------------------------------------------

function isUnauthorized(error: unknown): boolean {
  const parts: string[] = [];
  if (error instanceof Error) parts.push(error.message);
  if (isRecord(error) && error.data !== undefined) parts.push(JSON.stringify(error.data));
  return /unauthori[sz]ed|invalid[_ ]token|expired|forbidden|\b401\b|rejected by server/i.test(parts.join(" "));
}

/** When an access token (a JWT) expires, in epoch ms; null if it cannot be read. */
export function tokenExpiresAt(token: string | null): number | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    return isRecord(claims) && typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

const defaultSocketFactory: SocketFactory = (options) => io(options);

const MAX_SERVER_RETRY_MS = 30_000;

export function createRealtime(options: RealtimeOptions): Realtime {
  const {
    queryClient,
    getToken = getAccessToken,
    refreshToken = refreshAccessToken,
    subscribeToken = subscribeTokens,
    onAuthFailure = clearTokens,
    createSocket = defaultSocketFactory,
    store = realtimeStore,
    visibility = typeof document === "undefined" ? null : document,
    retryDelayMs = 5000,
    serverRetryDelayMs = 1000,
    awayAfterMs = 60_000,
    refreshAheadMs = 60_000,
    gapResumeCooldownMs = 30_000,
  } = options;

  let socket: RealtimeSocket | null = null;
  let seq: number | null = null;
  let state: RealtimeStatus = "idle";
  let everConnected = false;
  /** session:ready arrived on this connection: what comes now is live, not a replay. */
  let ready = false;
  let resynced = false;
  /** We closed the connection to open it again at once (not the user going offline). */
  let reopening = false;
  let refreshedThisAttempt = false;
  let serverEnded: "expired" | "revoked" | null = null;
  let serverRetries = 0;
  let lastGapResume = -Infinity;
  /** The access token the server knows this socket by. */
  let tokenInUse: string | null = null;
  let away = false;
  let unsubscribeToken: (() => void) | null = null;
  const rooms = new Map<string, number>();
  const timers = new Map<"retry" | "refresh" | "away", ReturnType<typeof setTimeout>>();
  const listeners = new Set<() => void>();

  function later(name: "retry" | "refresh" | "away", run: () => void, delayMs: number): void {
    clearTimer(name);
    timers.set(
      name,
      setTimeout(() => {
        timers.delete(name);
        run();
      }, delayMs),
    );
  }

  function clearTimer(name: "retry" | "refresh" | "away"): void {
    const timer = timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(name);
  }

  function setState(next: RealtimeStatus): void {
    if (state === next) return;
    state = next;
    for (const listener of listeners) listener();
  }

  function refetchAll(): void {
    void queryClient.invalidateQueries({ queryKey: conversationKeys.all });
    void queryClient.invalidateQueries({ queryKey: messageKeys.all });
    void queryClient.invalidateQueries({ queryKey: channelKeys.all });
  }

  function send(event: string, ...args: unknown[]): boolean {
    // Never queued: socket.io would send it after a reconnect, when it means nothing anymore.
    if (socket === null || state !== "connected") return false;
    socket.emit(event, ...args);
    return true;
  }

  /** Close and open the connection now (to resume from `seq`, or as another user). */
  function reopen(): void {
    const current = socket;
    if (current === null) return;
    reopening = true;
    ready = false;
    setState("reconnecting");
    current.disconnect();
    current.connect();
  }

  // -- sequence ----------------------------------------------------------------------

  /** Whether an event numbered `eventSeq` is to be applied now (see the module comment). */
  function admit(eventSeq: number): boolean {
    if (seq !== null && eventSeq <= seq) return false;
    if (seq !== null && eventSeq > seq + 1) {
      const now = Date.now();
      if (ready && now - lastGapResume >= gapResumeCooldownMs) {
        lastGapResume = now;
        reopen(); // the server replays from `seq`, this event included
        return false;
      }
      refetchAll();
    }
    seq = eventSeq;
    return true;
  }

  function onSessionReady(payload: unknown): void {
    if (!isSessionReady(payload)) return;
    // The replay should have brought us exactly to the server's number; if not, refetch.
    if (seq !== null && seq !== payload.seq && !resynced) refetchAll();
    seq = payload.seq;
    ready = true;
    serverRetries = 0;
    // A role change (or removal) drops the socket; the reconnect carries the new role. The
    // signed-in user's permissions (what the UI offers) must follow it.
    const cachedRole = queryClient.getQueryData<{ role: Role }>(authKeys.me())?.role;
    if (cachedRole !== undefined && cachedRole !== payload.role) {
      void queryClient.invalidateQueries({ queryKey: authKeys.me() });
    }
    store.setSession(
      { userId: payload.user_id, tenantId: payload.tenant_id, role: payload.role },
      payload.presence ?? {},
    );
    scheduleRefreshAhead();
    onTokensChanged(); // refreshed while we were connecting: hand it over now
  }

  function onResyncRequired(payload: unknown): void {
    resynced = true;
    refetchAll();
    if (isRecord(payload) && isSeq(payload.seq)) seq = payload.seq;
  }

  function onEvent(event: string, payload: unknown): void {
    switch (event) {
      case "message:new":
        if (isMessageEvent(payload) && admit(payload.seq)) applyMessageNew(queryClient, payload);
        return;
      case "message:updated":
        if (isMessageEvent(payload) && admit(payload.seq)) applyMessageUpdated(queryClient, payload);
        return;
      case "conversation:updated":
        if (isConversationEvent(payload) && admit(payload.seq)) applyConversationUpdated(queryClient, payload);
        return;
      case "channel:updated":
        if (isChannelEvent(payload) && admit(payload.seq)) applyChannelUpdated(queryClient, payload);
        return;
      case "conversation:deleted":
        if (isConversationDeletedEvent(payload) && admit(payload.seq)) applyConversationDeleted(queryClient, payload);
        return;
      case "export:updated":
        if (isExportEvent(payload) && admit(payload.seq)) applyExportUpdated(queryClient, payload);
        return;
      case "team:updated":
        // Someone joined, changed role or left: pickers and the Team page refetch.
        if (isRecord(payload) && isSeq(payload.seq) && admit(payload.seq)) {
          void queryClient.invalidateQueries({ queryKey: teamKeys.all });
        }
        return;
      case "session:ready":
        onSessionReady(payload);
        return;
      case "resync:required":
        onResyncRequired(payload);
        return;
      case "session:expired":
        serverEnded = "expired";
        return;
      case "session:revoked":
        serverEnded = "revoked";
        return;
      case "presence:changed":
        if (isRecord(payload) && typeof payload.user_id === "string" && PRESENCE.includes(payload.status as string)) {
          store.setPresence(payload.user_id, payload.status as PresenceStatus);
        }
        return;
      case "typing:start":
        if (isTypingEvent(payload)) store.startTyping(payload.conversation_id, payload.user_id, payload.name ?? "");
        return;
      case "typing:stop":
        if (isTypingEvent(payload)) store.stopTyping(payload.conversation_id, payload.user_id);
        return;
      case "conversation:viewers":
        if (isViewersEvent(payload) && rooms.has(payload.conversation_id)) {
          store.setViewers(payload.conversation_id, toViewers(payload.viewers));
        }
        return;
      default:
        // A tenant event this client does not show still counts: skipping its number would look like a hole.
        if (isRecord(payload) && isSeq(payload.seq)) admit(payload.seq);
    }
  }

  // -- rooms and typing ----------------------------------------------------------------

  function sendJoin(conversationId: string): void {
    const current = socket;
    send("conversation:join", { conversation_id: conversationId }, (ack: unknown) => {
      if (socket !== current || !rooms.has(conversationId)) return;
      if (isRecord(ack) && ack.ok === true && isViewerList(ack.viewers)) {
        store.setViewers(conversationId, toViewers(ack.viewers));
      }
      // not_found / forbidden: the thread shows the API's answer; nothing live to add.
    });
  }

  function join(conversationId: string): () => void {
    const count = rooms.get(conversationId) ?? 0;
    rooms.set(conversationId, count + 1);
    if (count === 0) sendJoin(conversationId);
    let joined = true;
    return () => {
      if (!joined) return;
      joined = false;
      const left = (rooms.get(conversationId) ?? 1) - 1;
      if (left > 0) {
        rooms.set(conversationId, left);
        return;
      }
      rooms.delete(conversationId);
      store.clearViewers(conversationId);
      send("conversation:leave", { conversation_id: conversationId });
    };
  }

  function typing(conversationId: string, on: boolean): void {
    const session = store.getState().session;
    // Viewers never type; before session:ready the role is not known yet.
    if (session === null || session.role === "viewer" || !ready || !rooms.has(conversationId)) return;
    send(on ? "typing:start" : "typing:stop", { conversation_id: conversationId });
  }

  // -- away while hidden ---------------------------------------------------------------

  function onVisibilityChange(): void {
    if (visibility === null) return;
    if (visibility.visibilityState === "hidden") {
      if (!away && !timers.has("away")) {
        later(
          "away",
          () => {
            away = true;
            send("presence:set", { status: "away" });
          },
          awayAfterMs,
        );
      }
      return;
    }
    clearTimer("away");
    if (away) {
      away = false;
      send("presence:set", { status: "online" });
    }
  }

  // -- token: renew before it expires, reconnect after ---------------------------------

  function scheduleRefreshAhead(): void {
    clearTimer("refresh");
    const expiresAt = tokenExpiresAt(tokenInUse);
    if (expiresAt === null) return;
    // Spread out so tabs sharing one token do not all refresh it at once (it rotates).
    const spread = Math.random() * (refreshAheadMs / 2);
    later("refresh", () => void refreshAhead(), Math.max(0, expiresAt - Date.now() - refreshAheadMs + spread));
  }

  async function refreshAhead(): Promise<void> {
    // Another tab or an API call may have refreshed already: hand that token over instead.
    if (getToken() !== tokenInUse) {
      onTokensChanged();
      return;
    }
    let token: string | null;
    try {
      token = await refreshToken();
    } catch {
      return; // Unreachable now: the server ends the session at expiry and we reconnect then.
    }
    if (token === null) onAuthFailure();
    // A new token reaches the socket through onTokensChanged.
  }

  /** The SPA has a new access token: give it to the server, so the socket keeps its authority. */
  function onTokensChanged(): void {
    const token = getToken();
    const current = socket;
    if (token === null || token === tokenInUse || current === null || !ready) return;
    send("auth:refresh", { token }, (ack: unknown) => {
      if (socket !== current) return;
      if (isRecord(ack) && ack.ok === true) {
        tokenInUse = token;
        scheduleRefreshAhead();
      } else if (isRecord(ack) && ack.error === "forbidden") {
        // Someone else signed in (another tab): start over as them, from scratch.
        seq = null;
        store.reset();
        reopen();
      }
      // Any other refusal: the old token runs out, and the reconnect then uses the new one.
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
      later("retry", () => socket === current && current.connect(), retryDelayMs);
      return;
    }
    if (token === null) {
      onAuthFailure();
      return;
    }
    // The auth callback reads the (now refreshed) token on every connection attempt.
    if (socket === current) current.connect();
  }

  /** The server closed the connection; socket.io does not reconnect by itself after that. */
  async function afterServerDisconnect(current: RealtimeSocket): Promise<void> {
    const why = serverEnded;
    serverEnded = null;
    if (why === "expired") {
      if (getToken() === tokenInUse) {
        let token: string | null;
        try {
          token = await refreshToken();
        } catch {
          later("retry", () => socket === current && current.connect(), retryDelayMs);
          return;
        }
        if (token === null) {
          onAuthFailure();
          return;
        }
      }
      if (socket === current) current.connect();
      return;
    }
    // Revoked (a refused reconnect then ends the session), or the gateway went away: back off.
    const delay = Math.min(serverRetryDelayMs * 2 ** serverRetries, MAX_SERVER_RETRY_MS);
    serverRetries += 1;
    later("retry", () => socket === current && current.connect(), delay * (0.5 + Math.random() / 2));
  }

  function start(): void {
    if (socket !== null) return;
    setState("connecting");
    const current = createSocket({
      path: "/socket.io",
      transports: ["websocket"],
      // Read on every connection attempt: the freshest token, and where to resume from.
      auth: (cb: (data: object) => void) => {
        tokenInUse = getToken();
        cb(seq === null ? { token: tokenInUse } : { token: tokenInUse, last_seq: seq });
      },
    });
    socket = current;

    current.on("connect", () => {
      refreshedThisAttempt = false;
      reopening = false;
      ready = false;
      resynced = false;
      // With no number to resume from, what happened meanwhile is unknown: refetch what is on screen.
      if (everConnected && seq === null) refetchAll();
      everConnected = true;
      setState("connected");
      for (const conversationId of rooms.keys()) sendJoin(conversationId);
      if (away) send("presence:set", { status: "away" });
    });
    current.on("disconnect", (reason: string) => {
      ready = false;
      clearTimer("refresh");
      store.disconnected();
      if (reason === "io client disconnect") {
        setState(reopening ? "reconnecting" : "offline");
        return;
      }
      setState("reconnecting");
      if (reason === "io server disconnect") void afterServerDisconnect(current);
    });
    current.on("connect_error", (error: unknown) => {
      setState(everConnected ? "reconnecting" : "connecting");
      if (isUnauthorized(error)) void recoverFromUnauthorized(current);
    });
    current.onAny((event, payload) => onEvent(event, payload));

    unsubscribeToken = subscribeToken(onTokensChanged);
    visibility?.addEventListener("visibilitychange", onVisibilityChange);
    onVisibilityChange();
  }

  function stop(): void {
    for (const name of [...timers.keys()]) clearTimer(name);
    unsubscribeToken?.();
    unsubscribeToken = null;
    visibility?.removeEventListener("visibilitychange", onVisibilityChange);
    const current = socket;
    socket = null;
    if (current !== null) {
      current.offAny();
      current.removeAllListeners();
      current.disconnect();
    }
    store.reset();
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
    join,
    typing,
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

/** The open connection (null while signed out, or before the layout has opened it). */
export function useActiveRealtime(): Realtime | null {
  return useSyncExternalStore(
    subscribeActive,
    () => active,
    () => null,
  );
}

/** Be in the conversation's room (viewers, typing, collision hints) while mounted. */
export function useConversationRoom(conversationId: string): void {
  const realtime = useActiveRealtime();
  useEffect(() => realtime?.join(conversationId), [realtime, conversationId]);
}
