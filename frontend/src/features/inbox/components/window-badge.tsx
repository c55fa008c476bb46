import { Clock, Lock, UserRound } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { useNow } from "@/hooks/use-now";
import type { Conversation, ConversationWindow } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { windowLabel } from "@/utils/format";

import { windowBadge, type WindowBadgeTone } from "../utils/window";

const TONE = {
  open: { variant: "success", Icon: Clock },
  human_agent: { variant: "warning", Icon: UserRound },
  closed: { variant: "secondary", Icon: Lock },
} as const;

const BADGE_TONE: Record<WindowBadgeTone, { variant: "success" | "warning" | "secondary"; Icon: typeof Clock }> = {
  open: { variant: "success", Icon: Clock },
  expiring: { variant: "warning", Icon: Clock },
  human_agent: { variant: "warning", Icon: UserRound },
  closed: { variant: "secondary", Icon: Lock },
};

/**
 * The messaging window with a live countdown: "Window closes in 3h 12m" (amber in its last
 * two hours), "HUMAN_AGENT until Tue 14:00", "Closed — template only". In a narrow
 * `@container` (the thread header on a phone or beside the list) the short form: "3h 12m
 * left", "HUMAN_AGENT", "Template only"; the whole sentence stays in the tooltip.
 */
export function WindowBadge({
  conversation,
  className,
}: {
  conversation: Pick<Conversation, "last_inbound_at" | "channel">;
  className?: string;
}) {
  const now = useNow(15_000);
  const { tone, label, short, title } = windowBadge(conversation, now);
  const { variant, Icon } = BADGE_TONE[tone];
  return (
    <Badge variant={variant} data-testid="window-badge" data-window-state={tone} title={title} className={cn("max-w-full tabular-nums", className)}>
      <Icon aria-hidden />
      <span className="truncate @min-[17.5rem]:hidden">{short}</span>
      <span className="hidden truncate @min-[17.5rem]:inline">{label}</span>
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
