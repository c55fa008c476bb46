import { Eye, PenLine } from "lucide-react";

import { useRealtimeSession, useTypists, useViewers } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";

import { joinNames, verb } from "../utils/names";

/**
 * Another agent on the same conversation: "Ana is replying — you may be answering twice"
 * while they type, "Ana is also viewing" while they only have it open.
 */
export function CollisionBanner({ conversationId }: { conversationId: string }) {
  const session = useRealtimeSession();
  const viewers = useViewers(conversationId);
  const typists = useTypists(conversationId);
  const others = viewers.filter((viewer) => viewer.userId !== session?.userId);
  const canReply = session !== null && session.role !== "viewer";

  if (typists.length === 0 && others.length === 0) return null;
  const replying = typists.length > 0;
  const names = (replying ? typists : others).map((person) => person.name || "Someone");
  const Icon = replying ? PenLine : Eye;
  return (
    <div
      data-testid="collision-banner"
      data-kind={replying ? "replying" : "viewing"}
      role="status"
      className={cn(
        "flex shrink-0 items-center gap-2 border-b px-4 py-1.5 text-xs sm:px-6",
        replying ? "border-amber-200 bg-amber-50 text-amber-900" : "bg-muted/40 text-muted-foreground",
      )}
    >
      <Icon className="size-3.5 shrink-0" aria-hidden />
      <span className="min-w-0 truncate">
        {replying ? (
          <>
            <span className="font-medium">{joinNames(names)}</span> {verb(names.length, "is", "are")} replying
            {canReply && " — you may be answering twice"}
          </>
        ) : (
          <>
            <span className="font-medium">{joinNames(names)}</span> {verb(names.length, "is", "are")} also viewing
          </>
        )}
      </span>
    </div>
  );
}
