/**
 * What the realtime connection knows that is not server data: the session, who is online,
 * who is typing where, and who else is looking at an open conversation. Short-lived state
 * that lives in this small external store (read with useSyncExternalStore), never in the
 * query cache. Only `realtime.ts` writes to it; components read it through the hooks below.
 */
import { useSyncExternalStore } from "react";

import type { Role } from "@/lib/api/types";

export type PresenceStatus = "online" | "away" | "offline";

export interface RealtimeSession {
  userId: string;
  tenantId: string;
  role: Role;
}

/** Someone typing in a conversation. */
export interface Typist {
  userId: string;
  name: string;
}

/** Someone with the conversation open (the server's list, which includes this user). */
export interface Viewer {
  userId: string;
  name: string;
  typing: boolean;
}

export interface RealtimeState {
  /** From `session:ready`; null until the first one. */
  session: RealtimeSession | null;
  /** Users with a socket open (`away` or `online`); everyone else is offline. */
  presence: ReadonlyMap<string, Exclude<PresenceStatus, "offline">>;
  /** Per conversation, the *other* users typing there. */
  typing: ReadonlyMap<string, readonly Typist[]>;
  /** Per joined conversation, who has it open. */
  viewers: ReadonlyMap<string, readonly Viewer[]>;
}

/** How long a typing indicator stays without a fresh `typing:start` (the server stops it after 6 s). */
export const TYPING_TIMEOUT_MS = 8_000;

const EMPTY_TYPISTS: readonly Typist[] = [];
const EMPTY_VIEWERS: readonly Viewer[] = [];

const INITIAL: RealtimeState = { session: null, presence: new Map(), typing: new Map(), viewers: new Map() };

function without<K, V>(map: ReadonlyMap<K, V>, key: K): Map<K, V> {
  const next = new Map(map);
  next.delete(key);
  return next;
}

export class RealtimeStore {
  private state: RealtimeState = INITIAL;
  private readonly listeners = new Set<() => void>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly typingTimeoutMs = TYPING_TIMEOUT_MS) {}

  getState = (): RealtimeState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  private set(next: Partial<RealtimeState>): void {
    this.state = { ...this.state, ...next };
    for (const listener of this.listeners) listener();
  }

  /**
   * `session:ready`: who we are and who is online now. (Typing and viewers were cleared when
   * the last connection dropped; what arrived since, e.g. a join's answer, is current.)
   */
  setSession(session: RealtimeSession, presence: Record<string, string>): void {
    const map = new Map<string, Exclude<PresenceStatus, "offline">>();
    for (const [userId, status] of Object.entries(presence)) {
      if (status === "online" || status === "away") map.set(userId, status);
    }
    this.set({ session, presence: map });
  }

  setPresence(userId: string, status: PresenceStatus): void {
    const current = this.state.presence.get(userId) ?? "offline";
    if (current === status) return;
    const presence = new Map(this.state.presence);
    if (status === "offline") presence.delete(userId);
    else presence.set(userId, status);
    this.set({ presence });
  }

  /** Someone types in a conversation: shown until they stop, or `typingTimeoutMs` without news. */
  startTyping(conversationId: string, userId: string, name: string): void {
    if (userId === this.state.session?.userId) return; // our own other tab
    this.armTypingTimer(conversationId, userId);
    const current = this.state.typing.get(conversationId) ?? EMPTY_TYPISTS;
    const existing = current.find((t) => t.userId === userId);
    if (existing !== undefined && existing.name === name) return;
    const typists = [...current.filter((t) => t.userId !== userId), { userId, name }];
    this.set({ typing: new Map(this.state.typing).set(conversationId, typists) });
  }

  stopTyping(conversationId: string, userId: string): void {
    const key = `${conversationId} ${userId}`;
    const timer = this.typingTimers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.typingTimers.delete(key);
    const current = this.state.typing.get(conversationId);
    if (current === undefined || !current.some((t) => t.userId === userId)) return;
    const typists = current.filter((t) => t.userId !== userId);
    this.set({
      typing: typists.length === 0 ? without(this.state.typing, conversationId) : new Map(this.state.typing).set(conversationId, typists),
    });
  }

  /** The server's list of who has the conversation open; its typing flags are the truth. */
  setViewers(conversationId: string, viewers: readonly Viewer[]): void {
    this.set({ viewers: new Map(this.state.viewers).set(conversationId, viewers) });
    const typingNow = new Set(viewers.filter((v) => v.typing).map((v) => v.userId));
    for (const typist of this.state.typing.get(conversationId) ?? EMPTY_TYPISTS) {
      if (!typingNow.has(typist.userId)) this.stopTyping(conversationId, typist.userId);
    }
    for (const viewer of viewers) {
      if (viewer.typing) this.startTyping(conversationId, viewer.userId, viewer.name);
    }
  }

  clearViewers(conversationId: string): void {
    if (!this.state.viewers.has(conversationId)) return;
    this.set({ viewers: without(this.state.viewers, conversationId) });
  }

  /** The socket is gone: typing and viewers may change unseen (presence is replaced on reconnect). */
  disconnected(): void {
    this.clearTypingTimers();
    if (this.state.typing.size === 0 && this.state.viewers.size === 0) return;
    this.set({ typing: new Map(), viewers: new Map() });
  }

  /** Back to nothing known (signed out). */
  reset(): void {
    this.clearTypingTimers();
    this.set(INITIAL);
  }

  private armTypingTimer(conversationId: string, userId: string): void {
    const key = `${conversationId} ${userId}`;
    const pending = this.typingTimers.get(key);
    if (pending !== undefined) clearTimeout(pending);
    this.typingTimers.set(
      key,
      setTimeout(() => this.stopTyping(conversationId, userId), this.typingTimeoutMs),
    );
  }

  private clearTypingTimers(): void {
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
  }
}

/** The app's store (the realtime connection started by the signed-in layout writes to it). */
export const realtimeStore = new RealtimeStore();

function useStoreValue<T>(select: (state: RealtimeState) => T, store: RealtimeStore): T {
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getState()),
    () => select(INITIAL),
  );
}

export function useRealtimeSession(store: RealtimeStore = realtimeStore): RealtimeSession | null {
  return useStoreValue((state) => state.session, store);
}

/** A user's status; null while unknown (no realtime session yet, or no user). */
export function usePresence(userId: string | null | undefined, store: RealtimeStore = realtimeStore): PresenceStatus | null {
  return useStoreValue(
    (state) => (state.session === null || !userId ? null : (state.presence.get(userId) ?? "offline")),
    store,
  );
}

/** The other users typing in a conversation, in the order they started. */
export function useTypists(conversationId: string, store: RealtimeStore = realtimeStore): readonly Typist[] {
  return useStoreValue((state) => state.typing.get(conversationId) ?? EMPTY_TYPISTS, store);
}

/** Who has the conversation open (empty until it is joined). */
export function useViewers(conversationId: string, store: RealtimeStore = realtimeStore): readonly Viewer[] {
  return useStoreValue((state) => state.viewers.get(conversationId) ?? EMPTY_VIEWERS, store);
}
