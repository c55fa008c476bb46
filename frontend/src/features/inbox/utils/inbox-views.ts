/**
 * The inbox's views: which folder entry a set of filters shows, what picking one does, what
 * an empty list says, and which pane a phone shows.
 */
import type { Channel, Conversation, ConversationCounts } from "@/lib/api/types";
import type { ConversationFilters, ConversationFolder } from "@/lib/query-keys";

import { activeRefinements, STATUS_LABEL } from "./inbox-filters";

/** A folder of the sidebar: one of the three folders, "expiring soon", or a channel. */
export type InboxView = ConversationFolder | "expiring" | `channel:${string}`;

export const FOLDER_LABEL: Record<ConversationFolder, string> = {
  mine: "Mine",
  unassigned: "Unassigned",
  all: "All",
};

/** Which sidebar entry the filters show (a channel wins over "expiring", which wins over the folder). */
export function activeView(filters: ConversationFilters): InboxView {
  if (filters.channelId !== null) return `channel:${filters.channelId}`;
  if (filters.window === "expiring") return "expiring";
  return filters.folder;
}

/**
 * The filters after picking a sidebar entry: the entries are exclusive (a channel or
 * "expiring soon" spans all folders); status, assignee, label, unread and search stay.
 */
export function filtersForView(filters: ConversationFilters, view: InboxView): ConversationFilters {
  const window = filters.window === "expiring" ? null : filters.window;
  if (view === "expiring") return { ...filters, folder: "all", channelId: null, window: "expiring" };
  if (view.startsWith("channel:")) {
    return { ...filters, folder: "all", channelId: view.slice("channel:".length), window };
  }
  return { ...filters, folder: view as ConversationFolder, channelId: null, window };
}

/** "Mine", "Expiring soon", or the channel's name. */
export function viewTitle(view: InboxView, channels: readonly Channel[]): string {
  if (view === "expiring") return "Expiring soon";
  if (view.startsWith("channel:")) {
    const id = view.slice("channel:".length);
    return channels.find((c) => c.id === id)?.name ?? "Channel";
  }
  return FOLDER_LABEL[view as ConversationFolder];
}

/** Open conversations in a view (undefined while unknown; "expiring soon" has no count). */
export function viewCount(view: InboxView, counts: ConversationCounts | undefined): number | undefined {
  if (counts === undefined || view === "expiring") return undefined;
  if (view.startsWith("channel:")) {
    const id = view.slice("channel:".length);
    return counts.channels.find((c) => c.channel_id === id)?.open ?? 0;
  }
  return counts[view as ConversationFolder];
}

interface EmptyCopy {
  title: string;
  description: string;
}

/** What an empty list says, for the view it is. */
export function emptyCopy(filters: ConversationFilters, channels: readonly Channel[]): EmptyCopy {
  const status = filters.status === null ? "" : `${STATUS_LABEL[filters.status].toLowerCase()} `;
  if (filters.q !== null) {
    return {
      title: `No messages match “${filters.q}”`,
      description:
        filters.status === null ? "Try other words." : `Only ${status}conversations were searched. Try other words or all statuses.`,
    };
  }
  if (activeRefinements(filters) > 0 && filters.window !== "expiring") {
    return { title: "No conversations match these filters", description: "Remove a filter to see more." };
  }
  const view = activeView(filters);
  if (view === "expiring") {
    return {
      title: "No windows closing soon",
      description: "Conversations whose messaging window closes within 2 hours show up here.",
    };
  }
  if (view === "mine") return { title: `No ${status}conversations assigned to you`, description: "Pick one up from Unassigned." };
  if (view === "unassigned") return { title: `No ${status}unassigned conversations`, description: "Everything has an owner." };
  if (view !== "all") {
    return { title: `No ${status}conversations in ${viewTitle(view, channels)}`, description: "New messages show up here as they arrive." };
  }
  return {
    title: `No ${status}conversations`,
    description: "New messages show up here as they arrive. Connect a channel or send a test message from metasim.",
  };
}

/**
 * Which panes show on a phone (below md, one at a time): the list until a conversation is
 * open, then the thread (its header has the way back). From md up both show side by side.
 */
export function phonePane(conversationId: string | undefined): "list" | "thread" {
  return conversationId === undefined ? "list" : "thread";
}

/** The conversation `step` rows away from the open one (the first row when none is open or it left the list). */
export function neighbour(conversations: readonly Conversation[], currentId: string | undefined, step: 1 | -1) {
  const index = currentId === undefined ? -1 : conversations.findIndex((c) => c.id === currentId);
  if (index === -1) return conversations[0];
  return conversations[index + step];
}

/** "14:30" today, "tomorrow 09:00", "Mon 09:00", "12 Mar 09:00" further out. */
export function snoozeLabel(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return "Snoozed";
  const until = new Date(iso);
  if (Number.isNaN(until.getTime())) return "Snoozed";
  const time = until.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  const day = 86_400_000;
  const at = until.getTime();
  if (at < startOfToday + day) return `Snoozed until ${time}`;
  if (at < startOfToday + 2 * day) return `Snoozed until tomorrow ${time}`;
  if (at < startOfToday + 7 * day) {
    return `Snoozed until ${until.toLocaleDateString(undefined, { weekday: "short" })} ${time}`;
  }
  return `Snoozed until ${until.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${time}`;
}
