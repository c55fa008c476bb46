import { AlertCircle, History, RefreshCw, Star } from "lucide-react";

import { ChannelIcon } from "@/components/channel-icon";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import type { Channel } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { agoLabel } from "@/utils/format";

import { useImportHistory } from "../api/import-history";
import { useReconnectChannel } from "../api/reconnect-channel";
import { canReconnect, channelAddress } from "../utils/health";

import { ChannelHealthBadge } from "./channel-health-badge";
import { ChannelNameEditor } from "./channel-name-editor";
import { DisconnectChannelButton } from "./disconnect-channel-button";
import { HistoryImportStatus } from "./history-import-status";
import { ReadReceiptsToggle } from "./read-receipts-toggle";

export interface ChannelCardProps {
  channel: Channel;
  /** Owner or admin: may rename, reconnect, import, disconnect and set read receipts. */
  canManage: boolean;
}

function ChannelActions({ channel }: { channel: Channel }) {
  const reconnect = useReconnectChannel();
  const importHistory = useImportHistory();
  const importStatus = channel.history_import.status;
  const canImport =
    channel.kind === "messenger" && channel.status === "active" && (importStatus === "none" || importStatus === "failed");
  const error = reconnect.error ?? importHistory.error;

  return (
    <div className="grid shrink-0 justify-items-start gap-2 sm:justify-items-end">
      <div className="flex flex-wrap items-center gap-2 sm:justify-end">
        {canImport && (
          <Button
            variant="outline"
            size="sm"
            data-testid="channel-import-history"
            disabled={importHistory.isPending}
            onClick={() => importHistory.mutate(channel.id)}
          >
            {importHistory.isPending ? <Spinner label="Queuing import" /> : <History aria-hidden />}
            {importStatus === "failed" ? "Retry import" : "Import history"}
          </Button>
        )}
        {canReconnect(channel) && (
          <Button
            size="sm"
            data-testid="channel-reconnect"
            disabled={reconnect.isPending || reconnect.isSuccess}
            onClick={() => reconnect.mutate(channel.id)}
          >
            {reconnect.isPending || reconnect.isSuccess ? (
              <Spinner className="text-primary-foreground" label="Opening Facebook" />
            ) : (
              <RefreshCw aria-hidden />
            )}
            Reconnect
          </Button>
        )}
        {channel.status !== "disconnected" && <DisconnectChannelButton channel={channel} />}
      </div>
      {error !== null && (
        <p data-testid="channel-action-error" role="alert" className="flex items-center gap-1.5 text-xs text-destructive">
          <AlertCircle className="size-3.5 shrink-0" aria-hidden />
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}

/** One connected Page or number: who it is, whether it works, and what can be done about it. */
export function ChannelCard({ channel, canManage }: ChannelCardProps) {
  const now = useNow();
  const disconnected = channel.status === "disconnected";
  return (
    <Card
      data-testid="channel-card"
      data-channel-id={channel.id}
      data-status={channel.status}
      data-kind={channel.kind}
      className={cn("flex-col gap-4 px-5 py-5 sm:flex-row sm:items-start", disconnected && "bg-muted/40")}
    >
      <div className="flex min-w-0 flex-1 gap-4">
        <span
          className={cn(
            "flex size-11 shrink-0 items-center justify-center rounded-xl bg-muted",
            disconnected && "opacity-60 grayscale",
          )}
        >
          <ChannelIcon kind={channel.kind} className="size-6" />
        </span>
        <div className="grid min-w-0 flex-1 gap-2">
          <div className="grid min-w-0 gap-0.5">
            <ChannelNameEditor channel={channel} editable={canManage} />
            <p data-testid="channel-address" className="truncate text-sm text-muted-foreground">
              {channelAddress(channel)}
            </p>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <ChannelHealthBadge channel={channel} />
            {channel.kind === "whatsapp" && channel.is_primary && (
              <Badge variant="outline" data-testid="channel-primary">
                <Star aria-hidden />
                Primary
              </Badge>
            )}
            <span data-testid="channel-last-event" className="text-xs text-muted-foreground">
              {channel.last_event_at === null ? "No events yet" : `Last event ${agoLabel(channel.last_event_at, now)}`}
            </span>
          </div>
          <HistoryImportStatus historyImport={channel.history_import} />
          {canManage && !disconnected && <ReadReceiptsToggle channel={channel} />}
        </div>
      </div>
      {canManage && <ChannelActions channel={channel} />}
    </Card>
  );
}
