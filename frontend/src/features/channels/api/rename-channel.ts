import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel } from "@/lib/api/types";
import { upsertChannel } from "@/lib/channels-cache";

export interface RenameChannelInput {
  channelId: string;
  name: string;
}

export function renameChannel({ channelId, name }: RenameChannelInput): Promise<Channel> {
  return unwrap(
    apiClient.PATCH("/api/channels/{channel_id}", { params: { path: { channel_id: channelId } }, body: { name } }),
  );
}

export function useRenameChannel() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: renameChannel, onSuccess: (channel) => upsertChannel(queryClient, channel) });
}
