import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel } from "@/lib/api/types";
import { upsertChannel } from "@/lib/channels-cache";

export interface SetReadReceiptsInput {
  channelId: string;
  enabled: boolean;
}

/** Turns telling Meta "seen" (Messenger mark_seen, WhatsApp read receipts) on or off. */
export function setReadReceipts({ channelId, enabled }: SetReadReceiptsInput): Promise<Channel> {
  return unwrap(
    apiClient.PATCH("/api/channels/{channel_id}", {
      params: { path: { channel_id: channelId } },
      body: { send_read_receipts: enabled },
    }),
  );
}

export function useSetReadReceipts() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: setReadReceipts, onSuccess: (channel) => upsertChannel(queryClient, channel) });
}
