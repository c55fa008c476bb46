import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import { SettingsPage } from "@/components/settings-page";
import { useWebhookChannels } from "@/features/operations/api/get-webhook-channels";
import { ChannelHealthTable } from "@/features/operations/components/channel-health-table";
import { WebhookEvents } from "@/features/operations/components/webhook-events";
import type { WebhookEventStatus } from "@/lib/api/types";
import type { WebhookEventFilters } from "@/lib/query-keys";

const STATUSES: ReadonlySet<string> = new Set<WebhookEventStatus>(["received", "processed", "failed", "dead"]);

/** The filters live in the URL (`?status=failed&channel=…`), so a view can be shared or reloaded. */
function useEventFilters(): [WebhookEventFilters, (filters: WebhookEventFilters) => void] {
  const [params, setParams] = useSearchParams();
  const status = params.get("status");
  const channel = params.get("channel");
  const filters = useMemo<WebhookEventFilters>(
    () => ({
      status: status !== null && STATUSES.has(status) ? (status as WebhookEventStatus) : null,
      channelId: channel !== null && channel !== "" ? channel : null,
    }),
    [status, channel],
  );
  const setFilters = useCallback(
    (next: WebhookEventFilters) => {
      const search = new URLSearchParams();
      if (next.status !== null) search.set("status", next.status);
      if (next.channelId !== null) search.set("channel", next.channelId);
      setParams(search, { replace: true });
    },
    [setParams],
  );
  return [filters, setFilters];
}

function OperationsBody() {
  const [filters, setFilters] = useEventFilters();
  const channels = useWebhookChannels().data?.items ?? [];
  return (
    <>
      <section aria-labelledby="channels-heading" className="grid gap-3">
        <h2 id="channels-heading" className="text-lg font-semibold tracking-tight">
          Channels
        </h2>
        <ChannelHealthTable
          selectedChannelId={filters.channelId}
          onSelectChannel={(channelId) => setFilters({ ...filters, channelId })}
        />
      </section>
      <WebhookEvents channels={channels} filters={filters} onFiltersChange={setFilters} />
    </>
  );
}

/** Webhook health and the event log: owners and admins only (the API refuses everyone else). */
export function OperationsRoute() {
  return (
    <SettingsPage
      title="Operations"
      description="How Meta's webhooks are arriving and being processed, per channel and one by one."
      width="6xl"
      className="gap-8"
      permission="operations:manage"
      denied={{
        title: "Operations is for owners and admins",
        description: "Ask an owner or admin of this workspace if you need to look at webhook deliveries.",
      }}
    >
      <OperationsBody />
    </SettingsPage>
  );
}
