import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Channel, ConnectWhatsAppBody } from "@/lib/api/types";
import { upsertChannel } from "@/lib/channels-cache";
import { channelKeys } from "@/lib/query-keys";

export interface ConnectWhatsAppInput extends ConnectWhatsAppBody {
  accountId: string;
}

export function connectWhatsApp({ accountId, ...body }: ConnectWhatsAppInput): Promise<Channel> {
  return unwrap(
    apiClient.POST("/api/meta/accounts/{account_id}/whatsapp/connect", {
      params: { path: { account_id: accountId } },
      body,
    }),
  );
}

export function useConnectWhatsApp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: connectWhatsApp,
    onSuccess: (channel) => {
      upsertChannel(queryClient, channel);
      // Making this number primary may have demoted another one.
      void queryClient.invalidateQueries({ queryKey: channelKeys.all });
    },
  });
}
