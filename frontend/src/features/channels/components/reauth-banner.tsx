import { AlertTriangle, Clock } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import { cn } from "@/lib/utils";

import { useChannels } from "../api/get-channels";
import { useReconnectChannel } from "../api/reconnect-channel";
import { useCanManageChannels } from "../hooks/use-can-manage-channels";
import { attentionMessage, healthLabel, needsAttention } from "../utils/health";

/** App-wide: a channel whose access is lost or about to expire, and what to do about it. */
export function ReauthBanner() {
  const { data } = useChannels();
  const canManage = useCanManageChannels();
  const now = useNow(60_000);
  const reconnect = useReconnectChannel();
  const flagged = (data?.items ?? []).filter(needsAttention);
  if (flagged.length === 0) return null;

  const severe = flagged.some((channel) => healthLabel(channel, now).tone === "needs_reauth");
  return (
    <div
      data-testid="reauth-banner"
      role="status"
      className={cn(
        "shrink-0 border-b px-4 py-2 text-sm sm:px-6",
        severe
          ? "border-destructive/25 bg-destructive/8 text-destructive"
          : "border-warning/30 bg-warning/12 text-[oklch(0.45_0.11_65)]",
      )}
    >
      <ul className="grid gap-1.5">
        {flagged.map((channel) => {
          const lost = healthLabel(channel, now).tone === "needs_reauth";
          const Icon = lost ? AlertTriangle : Clock;
          const busy = reconnect.variables === channel.id && (reconnect.isPending || reconnect.isSuccess);
          return (
            <li
              key={channel.id}
              data-testid="reauth-banner-item"
              data-channel-id={channel.id}
              className="flex flex-wrap items-center gap-x-3 gap-y-1"
            >
              <Icon className="size-4 shrink-0" aria-hidden />
              <span className="font-medium">{attentionMessage(channel, now)}.</span>
              {canManage ? (
                <Button
                  size="sm"
                  variant="outline"
                  data-testid="reauth-reconnect"
                  className="h-7 bg-background text-foreground"
                  disabled={busy}
                  onClick={() => reconnect.mutate(channel.id)}
                >
                  {busy && <Spinner label="Opening Facebook" />}
                  Reconnect
                </Button>
              ) : (
                <span className="opacity-90">Ask an admin to reconnect it.</span>
              )}
            </li>
          );
        })}
      </ul>
      {reconnect.isError && (
        <p role="alert" className="mt-1 text-xs">
          {errorMessage(reconnect.error)}
        </p>
      )}
    </div>
  );
}
