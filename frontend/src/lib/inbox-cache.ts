/**
 * Pure writes into the TanStack Query cache for conversations and messages, shared by the
 * realtime module (socket events) and the inbox mutations (POST answers), so both apply
 * the same dedupe, ordering and status rules.
 */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";

import type { Conversation, ConversationPage, Me, Message, MessagePage, MessageStatus } from "@/lib/api/types";
import { authKeys, conversationKeys, messageKeys, type ConversationFilters } from "@/lib/query-keys";

export type ConversationListData = InfiniteData<ConversationPage, string | null>;
/** pages[0] holds the NEWEST messages; each later page is older; each page is oldest-first. */
export type MessageListData = InfiniteData<MessagePage, string | null>;

// How far along its delivery a message is. A late, staler copy (say the POST's "queued"
// arriving after the socket's "sent") must not move a message backwards.
const STATUS_RANK: Record<MessageStatus, number> = {
  received: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  failed: 6,
};

function activityTime(conversation: Conversation): number {
  return conversation.last_message_at === null ? -Infinity : Date.parse(conversation.last_message_at);
}

/** Newest activity first; conversations with no messages last. */
export function compareByActivity(a: Conversation, b: Conversation): number {
  return activityTime(b) - activityTime(a);
}

/** Messages in chronological order across all loaded pages (oldest first), without duplicates. */
export function flattenMessages(data: { pages: MessagePage[] } | undefined): Message[] {
  if (data === undefined) return [];
  const seen = new Set<string>();
  const out: Message[] = [];
  for (let p = data.pages.length - 1; p >= 0; p -= 1) {
    for (const message of data.pages[p]?.items ?? []) {
      if (seen.has(message.id)) continue;
      seen.add(message.id);
      out.push(message);
    }
  }
  return out;
}

/** Conversations across all loaded pages, without duplicates (pages can overlap under live updates). */
export function flattenConversations(data: { pages: ConversationPage[] } | undefined): Conversation[] {
  if (data === undefined) return [];
  const seen = new Set<string>();
  const out: Conversation[] = [];
  for (const page of data.pages) {
    for (const conversation of page.items) {
      if (seen.has(conversation.id)) continue;
      seen.add(conversation.id);
      out.push(conversation);
    }
  }
  return out;
}

function mergeMessage(existing: Message, incoming: Message): Message {
  // A retry sends a failed message again: that attempt starts over at "queued", and a copy
  // from before it (still "failed") is the stale one.
  const existingTry = existing.retry_count ?? 0;
  const incomingTry = incoming.retry_count ?? 0;
  if (incomingTry !== existingTry) return incomingTry > existingTry ? incoming : existing;
  return STATUS_RANK[incoming.status] < STATUS_RANK[existing.status] ? existing : incoming;
}

export function upsertMessageInPages(data: MessageListData, message: Message): MessageListData {
  let found = false;
  const pages = data.pages.map((page) => {
    const index = page.items.findIndex((m) => m.id === message.id);
    if (index === -1) return page;
    found = true;
    const existing = page.items[index] as Message;
    const merged = mergeMessage(existing, message);
    if (merged === existing) return page;
    const items = page.items.slice();
    items[index] = merged;
    return { ...page, items };
  });
  if (found) return { ...data, pages };

  const [newest, ...older] = pages;
  if (newest === undefined) {
    return { pages: [{ items: [message], next_cursor: null }], pageParams: [null] };
  }
  const items = [...newest.items, message];
  // Stable sort: equal timestamps keep arrival order.
  items.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return { ...data, pages: [{ ...newest, items }, ...older] };
}

/**
 * Inserts or replaces a conversation, then re-sorts every loaded page by activity while
 * keeping each page's size (the first page grows by one for a new conversation). With
 * `insert: false` a conversation the list does not have is left out. A replaced row keeps
 * its search `match` (socket payloads carry none).
 */
export function upsertConversationInPages(
  data: ConversationListData,
  incoming: Conversation,
  { insert = true }: { insert?: boolean } = {},
): ConversationListData {
  if (data.pages.length === 0) {
    if (!insert) return data;
    return { pages: [{ items: [incoming], next_cursor: null }], pageParams: [null] };
  }
  const sizes = data.pages.map((page) => page.items.length);
  const others: Conversation[] = [];
  let found: Conversation | undefined = undefined;
  for (const page of data.pages) {
    for (const item of page.items) {
      if (item.id === incoming.id) found = item;
      else others.push(item);
    }
  }
  const conversation =
    found?.match != null && incoming.match === undefined ? { ...incoming, match: found.match } : incoming;
  if (found === undefined) {
    if (!insert) return data;
    // An unseen conversation older than everything loaded belongs to a page not fetched yet.
    const last = others[others.length - 1];
    const lastPage = data.pages[data.pages.length - 1];
    const morePages = lastPage !== undefined && lastPage.next_cursor !== null;
    if (morePages && last !== undefined && compareByActivity(conversation, last) > 0) return data;
    sizes[0] = (sizes[0] ?? 0) + 1;
  }
  const sorted = [...others, conversation].sort(compareByActivity);
  let offset = 0;
  const pages = data.pages.map((page, index) => {
    const size = sizes[index] ?? 0;
    const items = sorted.slice(offset, offset + size);
    offset += size;
    return { ...page, items };
  });
  return { ...data, pages };
}

/**
 * Writes a conversation everywhere it is cached: its detail entry, and every cached list
 * according to that list's filters: inserted or moved in the lists it belongs to, removed
 * from those it no longer matches (resolved leaves "Open", assigned leaves "Unassigned"),
 * and only replaced in place where that cannot be decided here (a search).
 */
export function upsertConversation(queryClient: QueryClient, conversation: Conversation): void {
  // The detail entry is the conversation itself; a search match belongs to a list row.
  const detail = { ...conversation };
  delete detail.match;
  queryClient.setQueryData<Conversation>(conversationKeys.detail(conversation.id), detail);
  const context = matchContext(queryClient);
  for (const query of queryClient.getQueryCache().findAll({ queryKey: conversationKeys.lists() })) {
    const filters = filtersOfListKey(query.queryKey);
    const verdict = filters === null ? null : conversationMatches(conversation, filters, context);
    if (query.state.fetchStatus === "fetching" && verdict !== false) placeAgainAfterFetch(queryClient, query.queryHash, conversation);
    queryClient.setQueryData<ConversationListData>(query.queryKey, (data) => {
      if (data === undefined) return data;
      if (verdict === false) return removeConversationFromPages(data, conversation.id);
      return upsertConversationInPages(data, conversation, { insert: verdict === true });
    });
  }
}

/**
 * Conversations an event placed while a list was being fetched, by the list's query hash.
 * That answer may have been computed before the event (a conversation that appeared
 * meanwhile is missing from it, and a first load had no data to place it in), so when it
 * lands they are placed again wherever they are still missing. Only missing ones: a row
 * the answer holds is never replaced by an event that may be older than it.
 */
const placedDuringFetch = new Map<string, Map<string, Conversation>>();
const replayingClients = new WeakSet<QueryClient>();

function placeAgainAfterFetch(queryClient: QueryClient, queryHash: string, conversation: Conversation): void {
  const waiting = placedDuringFetch.get(queryHash) ?? new Map<string, Conversation>();
  waiting.set(conversation.id, conversation);
  placedDuringFetch.set(queryHash, waiting);
  if (replayingClients.has(queryClient)) return;
  replayingClients.add(queryClient);
  queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== "updated") return;
    const { query, action } = event;
    const late = placedDuringFetch.get(query.queryHash);
    if (late === undefined || (action.type !== "success" && action.type !== "error")) return;
    placedDuringFetch.delete(query.queryHash); // before setQueryData, which notifies again
    const filters = filtersOfListKey(query.queryKey);
    if (action.type === "error" || filters === null) return;
    const context = matchContext(queryClient);
    queryClient.setQueryData<ConversationListData>(query.queryKey, (data) => {
      if (data === undefined) return data;
      let next = data;
      for (const item of late.values()) {
        const present = next.pages.some((p) => p.items.some((c) => c.id === item.id));
        if (!present && conversationMatches(item, filters, context) === true) next = upsertConversationInPages(next, item);
      }
      return next;
    });
  });
}

/**
 * Drops a deleted conversation (moved to the trash) from every cached list, and forgets its
 * detail entry and thread; the folder counts follow, debounced.
 */
export function removeConversation(queryClient: QueryClient, conversationId: string): void {
  for (const query of queryClient.getQueryCache().findAll({ queryKey: conversationKeys.lists() })) {
    queryClient.setQueryData<ConversationListData>(query.queryKey, (data) =>
      data === undefined ? data : removeConversationFromPages(data, conversationId),
    );
  }
  queryClient.removeQueries({ queryKey: conversationKeys.detail(conversationId), exact: true });
  queryClient.removeQueries({ queryKey: messageKeys.list(conversationId), exact: true });
  scheduleCountsRefresh(queryClient);
}

/** Adds or replaces a message in its conversation's thread cache (if that thread is cached). */
export function upsertMessage(queryClient: QueryClient, message: Message): void {
  queryClient.setQueryData<MessageListData>(messageKeys.list(message.conversation_id), (data) =>
    data === undefined ? data : upsertMessageInPages(data, message),
  );
}

/** A message of a cached thread, by id. */
export function findCachedMessage(queryClient: QueryClient, conversationId: string, messageId: string): Message | undefined {
  const data = queryClient.getQueryData<MessageListData>(messageKeys.list(conversationId));
  for (const page of data?.pages ?? []) {
    const found = page.items.find((m) => m.id === messageId);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Replaces a cached message as it is, without the status ordering `upsertMessage` applies:
 * for optimistic changes (a reaction, a retry) and for rolling them back.
 */
export function replaceMessage(queryClient: QueryClient, message: Message): void {
  queryClient.setQueryData<MessageListData>(messageKeys.list(message.conversation_id), (data) => {
    if (data === undefined) return data;
    const pages = data.pages.map((page) =>
      page.items.some((m) => m.id === message.id)
        ? { ...page, items: page.items.map((m) => (m.id === message.id ? message : m)) }
        : page,
    );
    return { ...data, pages };
  });
}

/**
 * Reflects a new message in the conversation lists: moves the conversation to the top with
 * the new preview. Returns false when the conversation is not cached at all (the
 * `conversation:updated` the server sends with the message places it).
 */
export function bumpConversationForMessage(queryClient: QueryClient, message: Message): boolean {
  const current = findCachedConversation(queryClient, message.conversation_id);
  if (current === undefined) return false;
  // A private note is not activity: the server leaves the conversation's order and preview.
  if (message.direction === "note") return true;
  const newer =
    current.last_message_at === null || Date.parse(message.created_at) >= Date.parse(current.last_message_at);
  if (!newer) return true;
  upsertConversation(queryClient, {
    ...current,
    last_message_at: message.created_at,
    last_message_preview: message.text ?? current.last_message_preview,
    // The customer wrote: the messaging window opens again (conversation:updated confirms it).
    ...(message.direction === "inbound" ? { last_inbound_at: message.created_at } : {}),
  });
  return true;
}

// --- Which list a conversation belongs to ------------------------------------------------

const HOUR_MS = 3_600_000;
/** The same rules as the server's `api.inbox.policy.window_for` and `filters.EXPIRING_WITHIN`. */
const STANDARD_WINDOW_MS = 24 * HOUR_MS;
const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;
export const EXPIRING_WITHIN_MS = 2 * HOUR_MS;

export interface WindowAt {
  state: "open" | "human_agent" | "closed";
  /** When the current window closes (epoch ms); null when closed. */
  expiresAt: number | null;
  /** Open or human-agent, closing within EXPIRING_WITHIN_MS. */
  expiring: boolean;
}

/**
 * The messaging window at `now`, from the last inbound message: the `window` a payload
 * carries was computed when it was sent and goes stale as time passes.
 */
export function windowAt(conversation: Pick<Conversation, "last_inbound_at" | "channel">, now: number): WindowAt {
  const inbound = conversation.last_inbound_at === null ? NaN : Date.parse(conversation.last_inbound_at);
  if (Number.isNaN(inbound)) return { state: "closed", expiresAt: null, expiring: false };
  let state: WindowAt["state"] = "closed";
  let expiresAt: number | null = null;
  if (now < inbound + STANDARD_WINDOW_MS) {
    state = "open";
    expiresAt = inbound + STANDARD_WINDOW_MS;
  } else if (conversation.channel.kind === "messenger" && now < inbound + HUMAN_AGENT_WINDOW_MS) {
    state = "human_agent";
    expiresAt = inbound + HUMAN_AGENT_WINDOW_MS;
  }
  return { state, expiresAt, expiring: expiresAt !== null && expiresAt - now <= EXPIRING_WITHIN_MS };
}

export interface MatchContext {
  /** The signed-in user (for "Mine"); null while unknown. */
  userId: string | null;
  now: number;
}

/**
 * Does the conversation belong in the list with these filters? null when that cannot be
 * told here: a search (only the server knows what matches) or "Mine" before the user is known.
 */
export function conversationMatches(
  conversation: Conversation,
  filters: ConversationFilters,
  { userId, now }: MatchContext,
): boolean | null {
  let undecided = filters.q !== null;
  if (filters.folder === "unassigned" && conversation.assignee_id !== null) return false;
  if (filters.folder === "mine") {
    if (userId === null) undecided = true;
    else if (conversation.assignee_id !== userId) return false;
  }
  if (filters.channelId !== null && conversation.channel_id !== filters.channelId) return false;
  if (filters.status !== null && conversation.status !== filters.status) return false;
  if (filters.assigneeId !== null && conversation.assignee_id !== filters.assigneeId) return false;
  if (filters.label !== null && !conversation.labels.includes(filters.label)) return false;
  if (filters.unread && conversation.unread_count <= 0) return false;
  if (filters.window !== null) {
    const window = windowAt(conversation, now);
    const inWindow = filters.window === "expiring" ? window.expiring : window.state === filters.window;
    if (!inWindow) return false;
  }
  return undecided ? null : true;
}

function isConversationFilters(value: unknown): value is ConversationFilters {
  return (
    value !== null &&
    typeof value === "object" &&
    "folder" in value &&
    "status" in value &&
    "q" in value &&
    "window" in value
  );
}

/** The filters a list query was made with (its key's last part), or null for an unknown key. */
export function filtersOfListKey(queryKey: readonly unknown[]): ConversationFilters | null {
  const filters = queryKey[2];
  return isConversationFilters(filters) ? filters : null;
}

function matchContext(queryClient: QueryClient): MatchContext {
  return { userId: queryClient.getQueryData<Me>(authKeys.me())?.id ?? null, now: Date.now() };
}

/** Takes a conversation out of a list, leaving the other rows (and page cursors) alone. */
export function removeConversationFromPages(data: ConversationListData, conversationId: string): ConversationListData {
  let removed = false;
  const pages = data.pages.map((page) => {
    const items = page.items.filter((c) => c.id !== conversationId);
    if (items.length === page.items.length) return page;
    removed = true;
    return { ...page, items };
  });
  return removed ? { ...data, pages } : data;
}

/** The freshest cached copy of a conversation: its detail entry, else any list row. */
export function findCachedConversation(queryClient: QueryClient, conversationId: string): Conversation | undefined {
  const detail = queryClient.getQueryData<Conversation>(conversationKeys.detail(conversationId));
  if (detail !== undefined) return detail;
  for (const [, data] of queryClient.getQueriesData<ConversationListData>({ queryKey: conversationKeys.lists() })) {
    const found = flattenConversations(data).find((c) => c.id === conversationId);
    if (found !== undefined) return found;
  }
  return undefined;
}

const countsTimers = new WeakMap<QueryClient, ReturnType<typeof setTimeout>>();

/**
 * Refetches the folder counts once a burst of changes has settled (a busy inbox sends many
 * conversation:updated events a second; the counts need not follow each one).
 */
export function scheduleCountsRefresh(queryClient: QueryClient, delayMs = 1000): void {
  const pending = countsTimers.get(queryClient);
  if (pending !== undefined) clearTimeout(pending);
  countsTimers.set(
    queryClient,
    setTimeout(() => {
      countsTimers.delete(queryClient);
      void queryClient.invalidateQueries({ queryKey: conversationKeys.counts() });
    }, delayMs),
  );
}
