import { queryOptions, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel, ChannelPage } from "@/lib/api/types";
import { channelKeys } from "@/lib/query-keys";

export function getChannels(): Promise<ChannelPage> {
  return unwrap(apiClient.GET("/api/channels"));
}

export const channelsQueryOptions = () => queryOptions({ queryKey: channelKeys.list(), queryFn: getChannels });

/** The tenant's pages and numbers; kept live by `channel:updated` in the realtime module. */
export function useChannels() {
  return useQuery(channelsQueryOptions());
}

/** Channels by id (empty until the list has loaded). */
export function useChannelMap(): ReadonlyMap<string, Channel> {
  const { data } = useChannels();
  return useMemo(() => new Map((data?.items ?? []).map((channel) => [channel.id, channel])), [data]);
}
