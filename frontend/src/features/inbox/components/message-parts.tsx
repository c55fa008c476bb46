import { Forward, Megaphone, MousePointerClick } from "lucide-react";
import type { ReactNode } from "react";

import type { Reaction, ReplyTo } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { groupReactions, messageSummary, type ReactionGroup } from "../utils/message-content";

import type { BubbleTone } from "./message-tone";

/** The quoted message above a reply's text; a button that scrolls to it when it is loaded. */
export function ReplyQuote({
  replyTo,
  tone,
  contactName,
  targetId,
  onJump,
}: {
  replyTo: ReplyTo;
  tone: BubbleTone;
  contactName: string | null;
  /** The quoted message's id when it is in the loaded thread. */
  targetId: string | null;
  onJump?: (messageId: string) => void;
}) {
  const author = replyTo.direction === "outbound" ? "You" : replyTo.direction === "inbound" ? (contactName ?? "Customer") : null;
  const summary = messageSummary(replyTo.type, replyTo.text);
  const content = (
    <>
      {author !== null && <span className="block text-xs font-semibold">{author}</span>}
      <span className={cn("line-clamp-2 text-xs break-words", tone.muted, replyTo.text === null && "italic")}>{summary}</span>
    </>
  );
  const className = cn(
    "mb-1 block w-full min-w-40 rounded-md border-l-[3px] py-1 pr-2 pl-2 text-left",
    tone.outbound ? "border-l-white/70 bg-white/15" : "border-l-primary bg-foreground/5",
  );
  if (targetId !== null && onJump !== undefined) {
    return (
      <button
        type="button"
        data-testid="reply-quote"
        data-reply-to-id={targetId}
        onClick={() => onJump(targetId)}
        title="Show the original message"
        className={cn(className, "cursor-pointer transition-opacity hover:opacity-85")}
      >
        {content}
      </button>
    );
  }
  return (
    <div data-testid="reply-quote" className={className} title="The original message is not loaded">
      {content}
    </div>
  );
}

function whoReacted(group: ReactionGroup, contactName: string | null): string {
  const who = [group.byContact ? (contactName ?? "the customer") : null, group.byBusiness ? "you" : null].filter(Boolean);
  return `${group.emoji} from ${who.join(" and ")}`;
}

/** Emoji pills hanging off the bottom of a bubble; the business's own one takes it back when clicked. */
export function MessageReactions({
  reactions,
  outbound,
  contactName,
  onRemoveOwn,
}: {
  reactions: readonly Reaction[];
  outbound: boolean;
  contactName: string | null;
  /** Given when the business may take its reaction back. */
  onRemoveOwn?: () => void;
}) {
  const groups = groupReactions(reactions.filter((r) => r.emoji !== ""));
  if (groups.length === 0) return null;
  return (
    <ul
      data-testid="message-reactions"
      aria-label="Reactions"
      className={cn("relative z-10 -mt-2.5 flex flex-wrap gap-1", outbound ? "mr-3 justify-end" : "ml-3")}
    >
      {groups.map((group) => {
        const label = whoReacted(group, contactName);
        const className = cn(
          "flex h-6 items-center gap-1 rounded-full border bg-background px-1.5 text-sm leading-none shadow-xs",
          group.byBusiness && "border-primary/40 bg-primary/5",
        );
        const content = (
          <>
            <span aria-hidden>{group.emoji}</span>
            {group.count > 1 && <span className="text-[11px] font-medium text-muted-foreground tabular-nums">{group.count}</span>}
          </>
        );
        return (
          <li
            key={group.emoji}
            data-testid="reaction"
            data-emoji={group.emoji}
            data-count={group.count}
            data-by={group.byContact && group.byBusiness ? "both" : group.byBusiness ? "business" : "contact"}
            title={label}
          >
            {group.byBusiness && onRemoveOwn !== undefined ? (
              <button
                type="button"
                onClick={onRemoveOwn}
                title={`${label} (click to remove yours)`}
                aria-label={`${label}; remove your reaction`}
                data-testid="reaction-remove"
                className={cn(className, "cursor-pointer hover:border-destructive/40 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none")}
              >
                {content}
              </button>
            ) : (
              <span aria-label={label} className={className}>
                {content}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** A small label inside the bubble: "Quick reply", "Button: Yes", "From ad". */
export function MessageChip({
  kind,
  tone,
  title,
  icon = "tap",
  children,
}: {
  kind: string;
  tone: BubbleTone;
  title?: string;
  icon?: "tap" | "ad";
  children: ReactNode;
}) {
  const Icon = icon === "ad" ? Megaphone : MousePointerClick;
  return (
    <span
      data-testid="message-chip"
      data-chip={kind}
      title={title}
      className={cn("inline-flex max-w-full items-center gap-1 rounded-full border px-2 py-px text-[11px] font-medium", tone.chip)}
    >
      <Icon className="size-3 shrink-0" aria-hidden />
      <span className="truncate">{children}</span>
    </span>
  );
}

export function ForwardedLabel({ label, tone }: { label: string; tone: BubbleTone }) {
  return (
    <p data-testid="message-forwarded" className={cn("mb-0.5 flex items-center gap-1 text-[11px] italic", tone.muted)}>
      <Forward className="size-3" aria-hidden />
      {label}
    </p>
  );
}
