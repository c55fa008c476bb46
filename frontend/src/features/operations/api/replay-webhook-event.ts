import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { WebhookEvent } from "@/lib/api/types";
import { webhookKeys } from "@/lib/query-keys";

import type { WebhookEventListData } from "./get-webhook-events";

/** Queues a stored delivery to be processed again; answers the event, `received` once more. */
export function replayWebhookEvent(eventId: string): Promise<WebhookEvent> {
  return unwrap(
    apiClient.POST("/api/webhooks/events/{event_id}/replay", { params: { path: { event_id: eventId } } }),
  );
}

/** Replaces the event by id in every cached list (whatever its filter), in place. */
export function updateWebhookEventInLists(queryClient: QueryClient, event: WebhookEvent): void {
  queryClient.setQueriesData<WebhookEventListData>({ queryKey: webhookKeys.eventLists() }, (data) => {
    if (data === undefined) return data;
    let changed = false;
    const pages = data.pages.map((page) => {
      const index = page.items.findIndex((item) => item.id === event.id);
      if (index === -1) return page;
      changed = true;
      const items = page.items.slice();
      items[index] = event;
      return { ...page, items };
    });
    return changed ? { ...data, pages } : data;
  });
}

export function useReplayWebhookEvent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: replayWebhookEvent,
    onSuccess: (event) => {
      updateWebhookEventInLists(queryClient, event);
      // The channel's failed/dead/pending counts just moved.
      void queryClient.invalidateQueries({ queryKey: webhookKeys.channels() });
    },
  });
}
