import { AlertTriangle, Filter } from "lucide-react";

import { LoadError } from "@/components/load-error";
import { ChannelIcon } from "@/components/channel-icon";
import { Button } from "@/components/ui/button";
import { useNow } from "@/hooks/use-now";

import type { WebhookChannel } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { agoLabel, dateTimeLabel, formatDuration } from "@/utils/format";

import { useWebhookChannels } from "../api/get-webhook-channels";

function Count({ value, tone }: { value: number; tone: "bad" | "warn" | "plain" }) {
  return (
    <span
      className={cn(
        "tabular-nums",
        value === 0 ? "text-muted-foreground" : "text-foreground",
        value > 0 && tone === "bad" && "font-semibold text-destructive",
        value > 0 && tone === "warn" && "font-medium text-[oklch(0.5_0.12_65)]",
      )}
    >
      {value}
    </span>
  );
}

function ChannelRow({
  channel,
  now,
  selected,
  onSelect,
}: {
  channel: WebhookChannel;
  now: number;
  selected: boolean;
  onSelect: (channelId: string | null) => void;
}) {
  const failing = channel.failed + channel.dead > 0;
  return (
    <tr
      data-testid="ops-channel-row"
      data-channel-id={channel.channel_id}
      data-failing={failing}
      className={cn(
        "border-b border-l-2 border-l-transparent last:border-b-0",
        failing && "border-l-destructive bg-destructive/5",
        selected && "bg-accent",
      )}
    >
      <td className="py-2.5 pr-3 pl-4">
        <span className="flex min-w-0 items-center gap-2 font-medium">
          <ChannelIcon kind={channel.kind} />
          <span className="truncate">{channel.channel_name}</span>
          {failing && (
            <AlertTriangle
              className="size-4 shrink-0 text-destructive"
              role="img"
              aria-label={`${channel.failed + channel.dead} failed events`}
            />
          )}
        </span>
      </td>
      <td className="px-3 py-2.5 whitespace-nowrap text-muted-foreground" title={dateTimeLabel(channel.last_event_at)}>
        {channel.last_event_at === null ? "Never" : agoLabel(channel.last_event_at, now)}
      </td>
      <td className="px-3 py-2.5 text-right whitespace-nowrap text-muted-foreground tabular-nums">{formatDuration(channel.lag_ms)}</td>
      <td className="px-3 py-2.5 text-right">
        <Count value={channel.processed_24h} tone="plain" />
      </td>
      <td className="px-3 py-2.5 text-right" data-testid="ops-channel-failed">
        <Count value={channel.failed} tone="bad" />
      </td>
      <td className="px-3 py-2.5 text-right" data-testid="ops-channel-dead">
        <Count value={channel.dead} tone="bad" />
      </td>
      <td className="px-3 py-2.5 text-right">
        <Count value={channel.pending} tone="warn" />
      </td>
      <td className="py-1.5 pr-4 pl-3 text-right">
        <Button
          variant="ghost"
          size="sm"
          className="h-7 px-2 text-xs"
          aria-pressed={selected}
          onClick={() => onSelect(selected ? null : channel.channel_id)}
        >
          <Filter className="size-3.5" aria-hidden />
          {selected ? "All events" : "Events"}
        </Button>
      </td>
    </tr>
  );
}

export interface ChannelHealthTableProps {
  /** The channel the events below are filtered to. */
  selectedChannelId: string | null;
  onSelectChannel: (channelId: string | null) => void;
}

/** Per channel: when the last webhook came, how far behind processing is, and what failed. */
export function ChannelHealthTable({ selectedChannelId, onSelectChannel }: ChannelHealthTableProps) {
  const query = useWebhookChannels();
  const now = useNow();
  const channels = query.data?.items ?? [];

  if (query.isError) {
    return (
      <LoadError error={query.error} onRetry={() => void query.refetch()} testId="ops-channels-error" />
    );
  }

  return (
    <div className="overflow-x-auto rounded-xl border bg-card shadow-xs">
      <table data-testid="ops-channels" className="w-full min-w-[44rem] text-sm">
        <thead>
          <tr className="border-b bg-muted/50 text-left text-xs font-medium text-muted-foreground">
            <th scope="col" className="py-2 pr-3 pl-4 font-medium">
              Channel
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Last event
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium" title="Median time from receiving an event to processing it">
              Lag
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Processed 24h
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Failed
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Dead
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Pending
            </th>
            <th scope="col" className="py-2 pr-4 pl-3">
              <span className="sr-only">Filter</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {query.isPending &&
            Array.from({ length: 2 }, (_, i) => (
              <tr key={i} aria-hidden className="border-b last:border-b-0">
                <td colSpan={8} className="px-4 py-3">
                  <div className="h-4 w-2/3 animate-pulse rounded bg-muted" />
                </td>
              </tr>
            ))}
          {query.isSuccess && channels.length === 0 && (
            <tr>
              <td colSpan={8} className="px-4 py-6 text-center text-sm text-muted-foreground">
                No channels are connected yet.
              </td>
            </tr>
          )}
          {channels.map((channel) => (
            <ChannelRow
              key={channel.channel_id}
              channel={channel}
              now={now}
              selected={selectedChannelId === channel.channel_id}
              onSelect={onSelectChannel}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
