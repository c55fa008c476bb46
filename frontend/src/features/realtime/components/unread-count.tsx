import { cn } from "@/lib/utils";

import { unreadLabel, type UnreadCount } from "../api/get-unread-summary";

/** A pill with the number of unread conversations; nothing when there are none (or it is unknown). */
export function UnreadCountBadge({ unread, className }: { unread: UnreadCount | undefined; className?: string }) {
  if (unread === undefined || unread.count === 0) return null;
  const label = unreadLabel(unread);
  return (
    <span
      data-testid="unread-count"
      aria-label={`${label} unread`}
      title={`${label} unread conversation${unread.count === 1 && !unread.atLeast ? "" : "s"}`}
      className={cn(
        "flex h-4.5 min-w-4.5 shrink-0 items-center justify-center rounded-full bg-primary px-1 text-[10px] leading-none font-semibold text-primary-foreground tabular-nums",
        className,
      )}
    >
      {label}
    </span>
  );
}
