/**
 * Writes into the cached channel list, shared by the realtime module (`channel:updated`)
 * and the channel mutations (their answers), so both merge the same way.
 */
import type { QueryClient } from "@tanstack/react-query";

import type { Channel, ChannelPage } from "@/lib/api/types";
import { channelKeys, conversationKeys } from "@/lib/query-keys";

/** Replaces the channel by id, or appends it (a newly connected one). */
export function upsertChannelInPage(page: ChannelPage, channel: Channel): ChannelPage {
  const index = page.items.findIndex((c) => c.id === channel.id);
  if (index === -1) return { ...page, items: [...page.items, channel] };
  const items = page.items.slice();
  items[index] = channel;
  return { ...page, items };
}

/**
 * Writes a channel into the cached list (a list not fetched yet is left to its first fetch).
 * A rename also refetches conversations, whose summaries carry the channel's name.
 */
export function upsertChannel(queryClient: QueryClient, channel: Channel): void {
  const before = queryClient.getQueryData<ChannelPage>(channelKeys.list());
  if (before === undefined) return;
  const previous = before.items.find((c) => c.id === channel.id);
  queryClient.setQueryData<ChannelPage>(channelKeys.list(), upsertChannelInPage(before, channel));
  if (previous !== undefined && previous.name !== channel.name) {
    void queryClient.invalidateQueries({ queryKey: conversationKeys.all });
  }
}

export function upsertChannels(queryClient: QueryClient, channels: readonly Channel[]): void {
  for (const channel of channels) upsertChannel(queryClient, channel);
}
