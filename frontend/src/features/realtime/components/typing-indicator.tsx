import type { ReactNode } from "react";

import { useTypists } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";

import { joinNames, verb } from "../utils/names";

function Dots() {
  return (
    <span className="inline-flex items-center gap-0.5" aria-hidden>
      {[0, 150, 300].map((delay) => (
        <span key={delay} className="size-1 animate-bounce rounded-full bg-current" style={{ animationDelay: `${delay}ms` }} />
      ))}
    </span>
  );
}

/** "Ana is typing…" for the open conversation, above the composer. */
export function TypingIndicator({ conversationId, className }: { conversationId: string; className?: string }) {
  const typists = useTypists(conversationId);
  if (typists.length === 0) return null;
  const names = typists.map((t) => t.name || "Someone");
  return (
    <div
      data-testid="typing-indicator"
      role="status"
      className={cn("flex shrink-0 items-center gap-2 px-4 py-1 text-xs text-muted-foreground sm:px-6", className)}
    >
      <Dots />
      <span className="truncate">
        {joinNames(names)} {verb(names.length, "is", "are")} typing…
      </span>
    </div>
  );
}

/** The list row's version: "Ana is typing…" in place of the last message. */
export function ListTypingPreview({ conversationId, fallback }: { conversationId: string; fallback: ReactNode }) {
  const typists = useTypists(conversationId);
  if (typists.length === 0) return <>{fallback}</>;
  const names = typists.map((t) => t.name || "Someone");
  const sentence = `${joinNames(names)} ${verb(names.length, "is", "are")} typing…`;
  return (
    <p data-testid="conversation-typing" title={sentence} className="truncate text-sm text-primary italic">
      {sentence}
    </p>
  );
}
