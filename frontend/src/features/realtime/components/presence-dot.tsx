import { usePresence, type PresenceStatus } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";

import { PRESENCE_LABEL } from "../utils/presence";

const COLOR: Record<PresenceStatus, string> = {
  online: "bg-emerald-500",
  away: "bg-amber-400",
  offline: "bg-zinc-400",
};

export interface PresenceDotProps {
  userId: string | null | undefined;
  /** Shown instead of what the server says (e.g. "offline" while our own connection is down). */
  status?: PresenceStatus;
  className?: string;
}

/**
 * A teammate's status as a dot on the corner of their avatar (the parent is `relative`).
 * Nothing while the status is unknown (no live connection yet). Decorative: say the status
 * in the avatar's own label where it matters.
 */
export function PresenceDot({ userId, status: forced, className }: PresenceDotProps) {
  const known = usePresence(userId);
  const status = forced ?? known;
  if (status === null) return null;
  return (
    <span
      data-testid="presence-dot"
      data-status={status}
      data-user-id={userId ?? undefined}
      title={PRESENCE_LABEL[status]}
      aria-hidden
      className={cn("absolute -right-0.5 -bottom-0.5 block size-2 rounded-full ring-2 ring-background", COLOR[status], className)}
    />
  );
}
