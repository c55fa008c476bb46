import { useMutation } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { AuthorizeRedirect } from "@/lib/api/types";
import { leaveForUrl } from "@/utils/navigation";

export function getReconnectUrl(channelId: string): Promise<AuthorizeRedirect> {
  return unwrap(
    apiClient.POST("/api/channels/{channel_id}/reconnect", { params: { path: { channel_id: channelId } } }),
  );
}

/** Sends the browser through Facebook's dialog again for a fresh token; it comes back to /channels?reconnected=. */
export function useReconnectChannel() {
  return useMutation({
    mutationFn: async (channelId: string) => {
      const { authorize_url } = await getReconnectUrl(channelId);
      leaveForUrl(authorize_url);
    },
  });
}
