import { AlertCircle, ChevronRight, Inbox, RefreshCw, RotateCcw } from "lucide-react";
import { Fragment, useMemo, type KeyboardEvent } from "react";

import { FILTER_CONTROL } from "@/components/filter-field";
import { LoadError } from "@/components/load-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { SegmentedTabs, type SegmentedTab } from "@/components/ui/segmented-tabs";
import { Spinner } from "@/components/ui/spinner";
import { useToggleSet } from "@/hooks/use-toggle-set";
import { errorMessage } from "@/lib/api/errors";
import type { WebhookChannel, WebhookEvent, WebhookEventStatus } from "@/lib/api/types";
import type { WebhookEventFilters } from "@/lib/query-keys";
import { cn } from "@/lib/utils";
import { dateTimeLabel, formatDuration } from "@/utils/format";
import { uniqueItems } from "@/utils/pages";

import { useWebhookEvents } from "../api/get-webhook-events";
import { useReplayWebhookEvent } from "../api/replay-webhook-event";

const STATUS_TABS: SegmentedTab<WebhookEventStatus | null>[] = [
  { label: "All", value: null },
  { label: "Failed", value: "failed" },
  { label: "Dead", value: "dead" },
  { label: "Pending", value: "received" },
];

const STATUS_BADGE: Record<WebhookEventStatus, { label: string; variant: "success" | "warning" | "destructive" | "secondary" }> = {
  received: { label: "Pending", variant: "secondary" },
  processed: { label: "Processed", variant: "success" },
  failed: { label: "Failed", variant: "warning" },
  dead: { label: "Dead", variant: "destructive" },
};

function ChannelFilter({
  channels,
  value,
  onChange,
}: {
  channels: readonly WebhookChannel[];
  value: string | null;
  onChange: (channelId: string | null) => void;
}) {
  return (
    <label className="flex items-center gap-2 text-sm text-muted-foreground">
      <span className="sr-only sm:not-sr-only">Channel</span>
      <select
        data-testid="event-channel-filter"
        value={value ?? ""}
        onChange={(event) => onChange(event.target.value === "" ? null : event.target.value)}
        className={FILTER_CONTROL}
      >
        <option value="">All channels</option>
        {channels.map((channel) => (
          <option key={channel.channel_id} value={channel.channel_id}>
            {channel.channel_name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Detail({ label, children, tone }: { label: string; children: string; tone?: "error" }) {
  return (
    <div className="grid min-w-0 gap-1">
      <p className="text-xs font-medium text-muted-foreground">{label}</p>
      <pre
        className={cn(
          "max-h-64 overflow-auto rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs whitespace-pre-wrap break-words",
          tone === "error" && "border-destructive/30 bg-destructive/5 text-destructive",
        )}
      >
        {children}
      </pre>
    </div>
  );
}

function processingTime(event: WebhookEvent): string | null {
  if (event.processed_at === null) return null;
  const ms = Date.parse(event.processed_at) - Date.parse(event.received_at);
  return Number.isFinite(ms) && ms >= 0 ? formatDuration(ms) : null;
}

function EventRow({
  event,
  channelNames,
  expanded,
  onToggle,
}: {
  event: WebhookEvent;
  channelNames: ReadonlyMap<string, string>;
  expanded: boolean;
  onToggle: () => void;
}) {
  const replay = useReplayWebhookEvent();
  const badge = STATUS_BADGE[event.status] ?? { label: event.status, variant: "secondary" as const };
  const canReplay = event.status === "failed" || event.status === "dead";
  const took = processingTime(event);
  const channels = event.channel_ids.map((id) => channelNames.get(id) ?? id.slice(0, 8));
  const detailsId = `event-details-${event.id}`;
  const onKeyDown = (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.target === e.currentTarget && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      onToggle();
    }
  };

  return (
    <Fragment>
      <tr
        data-testid="event-row"
        data-event-id={event.id}
        data-status={event.status}
        aria-expanded={expanded}
        aria-controls={detailsId}
        tabIndex={0}
        onClick={onToggle}
        onKeyDown={onKeyDown}
        className={cn(
          "cursor-pointer border-b align-middle transition-colors hover:bg-muted/40 focus-visible:bg-muted/60 focus-visible:outline-none",
          expanded && "border-b-0 bg-muted/30",
        )}
      >
        <td className="py-2 pr-1 pl-3">
          <ChevronRight
            className={cn("size-4 text-muted-foreground transition-transform", expanded && "rotate-90")}
            aria-hidden
          />
        </td>
        <td className="px-2 py-2 whitespace-nowrap tabular-nums">{dateTimeLabel(event.received_at)}</td>
        <td className="px-2 py-2">
          <Badge variant={badge.variant} data-testid="event-status">
            {event.status === "received" && <Spinner className="size-3 text-current" label="Waiting to be processed" />}
            {badge.label}
          </Badge>
        </td>
        <td className="max-w-40 truncate px-2 py-2 font-mono text-xs text-muted-foreground">{event.object ?? "—"}</td>
        <td className="max-w-48 truncate px-2 py-2" title={channels.join(", ")}>
          {channels.length === 0 ? <span className="text-muted-foreground">—</span> : channels.join(", ")}
        </td>
        <td className="px-2 py-2 text-right tabular-nums">{event.attempts}</td>
        <td className="max-w-72 px-2 py-2">
          {event.last_error !== null && event.status !== "processed" ? (
            <span className="flex min-w-0 items-center gap-1 text-xs text-destructive">
              <AlertCircle className="size-3.5 shrink-0" aria-hidden />
              <span className="truncate">{event.last_error}</span>
            </span>
          ) : (
            <span className="text-xs text-muted-foreground">{took === null ? "" : `in ${took}`}</span>
          )}
        </td>
        <td className="py-1.5 pr-3 pl-2 text-right" onClick={(e) => e.stopPropagation()}>
          {canReplay && (
            <Button
              variant="outline"
              size="sm"
              className="h-7 px-2.5 text-xs"
              data-testid="replay-event"
              disabled={replay.isPending}
              onClick={() => replay.mutate(event.id)}
            >
              {replay.isPending ? <Spinner className="size-3.5" label="Replaying" /> : <RotateCcw className="size-3.5" aria-hidden />}
              Replay
            </Button>
          )}
          {replay.isError && (
            <p data-testid="replay-error" role="alert" className="mt-1 text-xs text-destructive">
              {errorMessage(replay.error)}
            </p>
          )}
        </td>
      </tr>
      {expanded && (
        <tr id={detailsId} data-testid="event-details" className="border-b bg-muted/30">
          <td />
          <td colSpan={7} className="px-2 pt-1 pb-4">
            <div className="grid gap-3">
              <dl className="flex flex-wrap gap-x-6 gap-y-1 text-xs text-muted-foreground">
                <div className="flex gap-1">
                  <dt>Event</dt>
                  <dd className="font-mono text-foreground">{event.id}</dd>
                </div>
                <div className="flex gap-1">
                  <dt>Processed</dt>
                  <dd className="text-foreground">
                    {event.processed_at === null ? "not yet" : `${dateTimeLabel(event.processed_at)}${took === null ? "" : ` (${took})`}`}
                  </dd>
                </div>
                <div className="flex gap-1">
                  <dt>Attempts</dt>
                  <dd className="text-foreground tabular-nums">{event.attempts}</dd>
                </div>
              </dl>
              {event.result !== null && <Detail label="Result">{event.result}</Detail>}
              {event.last_error !== null && (
                <Detail label="Last error" tone="error">
                  {event.last_error}
                </Detail>
              )}
              {event.result === null && event.last_error === null && (
                <p className="text-xs text-muted-foreground">No result recorded yet.</p>
              )}
            </div>
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export interface WebhookEventsProps {
  channels: readonly WebhookChannel[];
  filters: WebhookEventFilters;
  onFiltersChange: (filters: WebhookEventFilters) => void;
}

/** Webhook deliveries one by one: filter, inspect, replay the ones that failed. */
export function WebhookEvents({ channels, filters, onFiltersChange }: WebhookEventsProps) {
  const query = useWebhookEvents(filters);
  const [expanded, toggle] = useToggleSet();
  const channelNames = useMemo(() => new Map(channels.map((c) => [c.channel_id, c.channel_name])), [channels]);

  const events = useMemo(() => uniqueItems(query.data?.pages), [query.data]);

  let body;
  if (query.isPending) {
    body = (
      <div className="flex justify-center py-12">
        <Spinner className="size-5" label="Loading events" />
      </div>
    );
  } else if (query.isError && events.length === 0) {
    body = (
      <div className="p-4">
        <LoadError error={query.error} onRetry={() => void query.refetch()} testId="events-error" />
      </div>
    );
  } else if (events.length === 0) {
    body = (
      <EmptyState
        icon={Inbox}
        title="No events"
        description={
          filters.status === null && filters.channelId === null
            ? "Webhook deliveries from Meta will show up here."
            : "No webhook deliveries match these filters."
        }
      />
    );
  } else {
    body = (
      <div className="overflow-x-auto">
        <table data-testid="event-list" className="w-full min-w-[52rem] text-sm">
          <thead>
            <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">
              <th scope="col" className="w-8 py-2 pr-1 pl-3">
                <span className="sr-only">Details</span>
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Received
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Object
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Channels
              </th>
              <th scope="col" className="px-2 py-2 text-right font-medium">
                Attempts
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Outcome
              </th>
              <th scope="col" className="py-2 pr-3 pl-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <EventRow
                key={event.id}
                event={event}
                channelNames={channelNames}
                expanded={expanded.has(event.id)}
                onToggle={() => toggle(event.id)}
              />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <section aria-labelledby="events-heading" className="grid gap-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="events-heading" className="text-lg font-semibold tracking-tight">
          Events
        </h2>
        <div className="flex flex-wrap items-center gap-3">
          <SegmentedTabs
            tabs={STATUS_TABS}
            value={filters.status}
            onChange={(status) => onFiltersChange({ ...filters, status })}
            label="Event status"
            testId="event-status-filter"
          />
          <ChannelFilter
            channels={channels}
            value={filters.channelId}
            onChange={(channelId) => onFiltersChange({ ...filters, channelId })}
          />
          <Button
            variant="ghost"
            size="icon"
            className="size-8"
            title="Refresh"
            aria-label="Refresh events"
            disabled={query.isFetching}
            onClick={() => void query.refetch()}
          >
            <RefreshCw className={cn("size-4", query.isFetching && !query.isPending && "animate-spin")} aria-hidden />
          </Button>
        </div>
      </div>
      <div className="overflow-hidden rounded-xl border bg-card shadow-xs">
        {body}
        {query.hasNextPage && (
          <div className="flex justify-center border-t p-3">
            <Button
              variant="outline"
              size="sm"
              data-testid="events-load-more"
              disabled={query.isFetchingNextPage}
              onClick={() => void query.fetchNextPage()}
            >
              {query.isFetchingNextPage && <Spinner />}
              Load more
            </Button>
          </div>
        )}
      </div>
    </section>
  );
}
