import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel, ConnectPagesBody } from "@/lib/api/types";
import { upsertChannels } from "@/lib/channels-cache";
import { channelKeys } from "@/lib/query-keys";

export interface ConnectPagesInput extends ConnectPagesBody {
  accountId: string;
}

export async function connectPages({ accountId, ...body }: ConnectPagesInput): Promise<Channel[]> {
  const answer = await unwrap(
    apiClient.POST("/api/meta/accounts/{account_id}/pages/connect", {
      params: { path: { account_id: accountId } },
      body,
    }),
  );
  return answer.items;
}

export function useConnectPages() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: connectPages,
    onSuccess: (channels) => {
      upsertChannels(queryClient, channels);
      void queryClient.invalidateQueries({ queryKey: channelKeys.all });
    },
  });
}
