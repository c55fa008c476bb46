import { infiniteQueryOptions, useInfiniteQuery, type InfiniteData } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { WebhookEventPage } from "@/lib/api/types";
import { webhookKeys, type WebhookEventFilters } from "@/lib/query-keys";

const PAGE_SIZE = 50;
/** While an event waits to be processed (say, just replayed), its row follows it closely. */
const PENDING_REFRESH_MS = 5_000;
const REFRESH_MS = 30_000;

export type WebhookEventListData = InfiniteData<WebhookEventPage, string | null>;

export function getWebhookEvents(filters: WebhookEventFilters, cursor: string | null): Promise<WebhookEventPage> {
  return unwrap(
    apiClient.GET("/api/webhooks/events", {
      params: {
        query: {
          limit: PAGE_SIZE,
          ...(filters.status === null ? {} : { status: filters.status }),
          ...(filters.channelId === null ? {} : { channel_id: filters.channelId }),
          ...(cursor === null ? {} : { cursor }),
        },
      },
    }),
  );
}

function hasPendingEvents(data: WebhookEventListData | undefined): boolean {
  return data?.pages.some((page) => page.items.some((event) => event.status === "received")) ?? false;
}

/** Newest deliveries first; each next page is older. */
export const webhookEventsQueryOptions = (filters: WebhookEventFilters) =>
  infiniteQueryOptions({
    queryKey: webhookKeys.events(filters),
    queryFn: ({ pageParam }) => getWebhookEvents(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
    refetchInterval: (query) => (hasPendingEvents(query.state.data) ? PENDING_REFRESH_MS : REFRESH_MS),
  });

export function useWebhookEvents(filters: WebhookEventFilters) {
  return useInfiniteQuery(webhookEventsQueryOptions(filters));
}
