import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel } from "@/lib/api/types";
import { upsertChannel } from "@/lib/channels-cache";

/** Stops the channel (status `disconnected`); its conversations and history stay. */
export function disconnectChannel(channelId: string): Promise<Channel> {
  return unwrap(apiClient.DELETE("/api/channels/{channel_id}", { params: { path: { channel_id: channelId } } }));
}

export function useDisconnectChannel() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: disconnectChannel, onSuccess: (channel) => upsertChannel(queryClient, channel) });
}
