import { Reply, SmilePlus } from "lucide-react";
import { useState } from "react";

import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import type { Message } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { ownReaction, QUICK_REACTIONS } from "../api/react-to-message";
import type { ReactionAllowance } from "../utils/message-actions";

const actionButton =
  "flex size-7 items-center justify-center rounded-full text-muted-foreground transition-colors hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none disabled:cursor-not-allowed disabled:opacity-50";

/**
 * The small toolbar beside a bubble (on hover or keyboard focus; on a phone after a long
 * press): react with one of six emoji, reply quoting the message.
 */
export function MessageActions({
  message,
  reactions,
  onReact,
  onReply,
  visible,
}: {
  message: Message;
  reactions: ReactionAllowance;
  onReact: (emoji: string) => void;
  onReply?: () => void;
  /** Shown without hovering (a long press on a touch screen, or the picker open). */
  visible: boolean;
}) {
  const [pickerOpen, setPickerOpen] = useState(false);
  if (reactions === null && onReply === undefined) return null;
  const own = ownReaction(message)?.emoji ?? null;
  return (
    <div
      data-testid="message-actions"
      className={cn(
        "flex shrink-0 items-center gap-0.5 rounded-full border bg-background p-0.5 shadow-xs transition-opacity",
        visible || pickerOpen
          ? "opacity-100"
          : "pointer-events-none opacity-0 group-focus-within/message:pointer-events-auto group-focus-within/message:opacity-100 group-hover/message:pointer-events-auto group-hover/message:opacity-100",
      )}
    >
      {reactions !== null && (
        <Popover open={pickerOpen} onOpenChange={setPickerOpen}>
          <PopoverTrigger asChild>
            <button
              type="button"
              className={actionButton}
              aria-label="React"
              title={reactions.allowed ? "React" : reactions.reason}
              disabled={!reactions.allowed}
              data-testid="message-react"
            >
              <SmilePlus className="size-4" aria-hidden />
            </button>
          </PopoverTrigger>
          <PopoverContent side="top" className="w-auto rounded-full p-1" aria-label="Choose a reaction">
            <div className="flex gap-0.5" role="group" aria-label="Reactions">
              {QUICK_REACTIONS.map((emoji) => {
                const mine = own === emoji;
                return (
                  <button
                    key={emoji}
                    type="button"
                    aria-pressed={mine}
                    aria-label={mine ? `Remove your ${emoji} reaction` : `React with ${emoji}`}
                    data-testid="reaction-choice"
                    data-emoji={emoji}
                    onClick={() => {
                      setPickerOpen(false);
                      onReact(mine ? "" : emoji);
                    }}
                    className={cn(
                      "flex size-9 items-center justify-center rounded-full text-xl transition-transform hover:scale-110 hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
                      mine && "bg-primary/15",
                    )}
                  >
                    {emoji}
                  </button>
                );
              })}
            </div>
          </PopoverContent>
        </Popover>
      )}
      {onReply !== undefined && (
        <button type="button" className={actionButton} aria-label="Reply" title="Reply quoting this message" onClick={onReply} data-testid="message-reply">
          <Reply className="size-4" aria-hidden />
        </button>
      )}
    </div>
  );
}
