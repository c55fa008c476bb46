import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel } from "@/lib/api/types";
import { upsertChannel } from "@/lib/channels-cache";

/** Queues an import of the Page's recent conversations; progress arrives as `channel:updated`. */
export function importHistory(channelId: string): Promise<Channel> {
  return unwrap(
    apiClient.POST("/api/channels/{channel_id}/import-history", { params: { path: { channel_id: channelId } } }),
  );
}

export function useImportHistory() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: importHistory, onSuccess: (channel) => upsertChannel(queryClient, channel) });
}
