import { queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { WebhookChannelPage } from "@/lib/api/types";
import { webhookKeys } from "@/lib/query-keys";

const REFRESH_MS = 30_000;

export function getWebhookChannels(): Promise<WebhookChannelPage> {
  return unwrap(apiClient.GET("/api/webhooks/channels"));
}

export const webhookChannelsQueryOptions = () =>
  queryOptions({ queryKey: webhookKeys.channels(), queryFn: getWebhookChannels, refetchInterval: REFRESH_MS });

/** Webhook health per channel (admins only; the API answers 403 to anyone else). */
export function useWebhookChannels() {
  return useQuery(webhookChannelsQueryOptions());
}
