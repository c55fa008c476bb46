import { Clock, Lock, UserRound } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { useNow } from "@/hooks/use-now";
import type { ConversationWindow } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { windowLabel } from "@/utils/format";

const TONE = {
  open: { variant: "success", Icon: Clock },
  human_agent: { variant: "warning", Icon: UserRound },
  closed: { variant: "secondary", Icon: Lock },
} as const;

/** "Window open · closes in 23h" / "Human agent window" / "Window closed". */
export function WindowBadge({ window, className }: { window: ConversationWindow; className?: string }) {
  const now = useNow();
  const { tone, label } = windowLabel(window, now);
  const { variant, Icon } = TONE[tone];
  return (
    <Badge variant={variant} data-testid="window-badge" data-window-state={tone} className={className}>
      <Icon aria-hidden />
      {label}
    </Badge>
  );
}

/** The compact form for a list row. */
export function WindowHint({ window, now }: { window: ConversationWindow; now: number }) {
  const { tone, label } = windowLabel(window, now);
  const short = tone === "closed" ? "Closed" : tone === "human_agent" ? "Agent window" : label.replace("Window open · closes in ", "");
  const { Icon } = TONE[tone];
  return (
    <span
      title={label}
      data-window-state={tone}
      className={cn(
        "inline-flex items-center gap-1 text-[11px] font-medium",
        tone === "open" && "text-[oklch(0.5_0.12_150)]",
        tone === "human_agent" && "text-[oklch(0.55_0.13_65)]",
        tone === "closed" && "text-muted-foreground",
      )}
    >
      <Icon className="size-3" aria-hidden />
      {short}
    </span>
  );
}
