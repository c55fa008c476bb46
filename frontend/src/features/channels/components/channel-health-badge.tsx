import { AlertTriangle, CircleCheck, CircleSlash, Clock } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { useNow } from "@/hooks/use-now";
import type { Channel, ChannelHealth } from "@/lib/api/types";

import { healthLabel } from "../utils/health";

const TONE: Record<ChannelHealth, { variant: "success" | "warning" | "destructive" | "secondary"; Icon: typeof Clock }> = {
  ok: { variant: "success", Icon: CircleCheck },
  expiring: { variant: "warning", Icon: Clock },
  needs_reauth: { variant: "destructive", Icon: AlertTriangle },
  disconnected: { variant: "secondary", Icon: CircleSlash },
};

export function ChannelHealthBadge({ channel }: { channel: Channel }) {
  const now = useNow(60_000);
  const { tone, label } = healthLabel(channel, now);
  const { variant, Icon } = TONE[tone];
  return (
    <Badge variant={variant} data-testid="channel-health" data-health={tone}>
      <Icon aria-hidden />
      {label}
    </Badge>
  );
}
