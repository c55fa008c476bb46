/**
 * Pure writes into the TanStack Query cache for conversations and messages, shared by the
 * realtime module (socket events) and the inbox mutations (POST answers), so both apply
 * the same dedupe, ordering and status rules.
 */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";

import type { Conversation, ConversationPage, Message, MessagePage, MessageStatus } from "@/lib/api/types";
import { conversationKeys, messageKeys } from "@/lib/query-keys";

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
 * keeping each page's size (the first page grows by one for a new conversation).
 */
export function upsertConversationInPages(
  data: ConversationListData,
  conversation: Conversation,
): ConversationListData {
  if (data.pages.length === 0) {
    return { pages: [{ items: [conversation], next_cursor: null }], pageParams: [null] };
  }
  const sizes = data.pages.map((page) => page.items.length);
  const others: Conversation[] = [];
  let found = false;
  data.pages.forEach((page) => {
    for (const item of page.items) {
      if (item.id === conversation.id) found = true;
      else others.push(item);
    }
  });
  if (!found) {
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

/** Writes a conversation everywhere it is cached: its detail entry and the list(s). */
export function upsertConversation(queryClient: QueryClient, conversation: Conversation): void {
  queryClient.setQueryData<Conversation>(conversationKeys.detail(conversation.id), conversation);
  queryClient.setQueriesData<ConversationListData>({ queryKey: conversationKeys.lists() }, (data) =>
    data === undefined ? data : upsertConversationInPages(data, conversation),
  );
}

/** Adds or replaces a message in its conversation's thread cache (if that thread is cached). */
export function upsertMessage(queryClient: QueryClient, message: Message): void {
  queryClient.setQueryData<MessageListData>(messageKeys.list(message.conversation_id), (data) =>
    data === undefined ? data : upsertMessageInPages(data, message),
  );
}

/**
 * Reflects a new message in the conversation list: moves the conversation to the top with
 * the new preview. Returns false when the conversation is not in any cached list (the
 * caller should refetch the list then).
 */
export function bumpConversationForMessage(queryClient: QueryClient, message: Message): boolean {
  const lists = queryClient.getQueriesData<ConversationListData>({ queryKey: conversationKeys.lists() });
  let known = false;
  for (const [, data] of lists) {
    const current = flattenConversations(data).find((c) => c.id === message.conversation_id);
    if (current === undefined) continue;
    known = true;
    const newer =
      current.last_message_at === null || Date.parse(message.created_at) >= Date.parse(current.last_message_at);
    if (!newer) continue;
    upsertConversation(queryClient, {
      ...current,
      last_message_at: message.created_at,
      last_message_preview: message.text ?? current.last_message_preview,
    });
  }
  return known;
}
