import { MessageSquareText } from "lucide-react";
import { useId, useState, type KeyboardEvent, type ReactNode } from "react";
import { Link } from "react-router";

import { Spinner } from "@/components/ui/spinner";
import { useSavedReplySuggestions } from "@/features/saved-replies/api/saved-replies";
import type { SavedReply } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { insertSavedReply, slashToken } from "../utils/saved-reply-token";

export interface SavedReplyPicker {
  open: boolean;
  /** Call first in the textarea's onKeyDown: true when the key was for the suggestions. */
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  /** For the textarea: it points at the list and its active option while open. */
  inputProps: {
    "aria-controls": string | undefined;
    "aria-autocomplete": "list";
    "aria-activedescendant": string | undefined;
  };
  list: ReactNode;
}

/**
 * Saved replies as the agent types "/sho…": a list of matches above the composer; arrows
 * move, Enter or Tab inserts, Escape closes (until the next word).
 */
export function useSavedReplyPicker({
  text,
  caret,
  enabled,
  onInsert,
}: {
  text: string;
  caret: number;
  enabled: boolean;
  onInsert: (next: { text: string; caret: number }) => void;
}): SavedReplyPicker {
  const listId = useId();
  const token = enabled ? slashToken(text, caret) : null;
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  // The highlighted match, for the prefix it was chosen under: a new prefix starts again at the first.
  const [active, setActiveFor] = useState<{ prefix: string | null; index: number }>({ prefix: null, index: 0 });
  const dismissed = token !== null && dismissedAt === token.start;
  const prefix = token !== null && !dismissed ? token.prefix : null;
  const query = useSavedReplySuggestions(prefix);
  const options = prefix !== null ? (query.data ?? []) : [];
  // A bare "/" in a team with no saved replies says so (and where to add them).
  const noneYet = prefix === "" && query.isSuccess && options.length === 0;
  const open = prefix !== null && (options.length > 0 || query.isFetching || noneYet);
  const activeIndex = active.prefix === prefix ? Math.min(active.index, Math.max(0, options.length - 1)) : 0;
  const setActive = (index: number) => setActiveFor({ prefix, index });

  function choose(reply: SavedReply) {
    if (token === null) return;
    onInsert(insertSavedReply(text, token, caret, reply));
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
    if (!open || token === null) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (options.length > 0) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((activeIndex + step + options.length) % options.length);
      }
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      const reply = options[activeIndex];
      if (reply === undefined) return false;
      event.preventDefault();
      choose(reply);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      setDismissedAt(token.start);
      return true;
    }
    return false;
  }

  const optionId = (index: number) => `${listId}-option-${index}`;
  const list = open ? (
    <div
      className="absolute right-0 bottom-full left-0 z-20 mb-2 overflow-hidden rounded-lg border bg-popover shadow-md"
      data-testid="saved-reply-suggestions"
    >
      <div className="flex items-center justify-between border-b px-3 py-1.5 text-xs text-muted-foreground">
        <span className="flex items-center gap-1.5">
          <MessageSquareText className="size-3.5" aria-hidden />
          Saved replies
          {query.isFetching && <Spinner className="size-3" label="Searching saved replies" />}
        </span>
        <Link to="/settings/saved-replies" className="font-medium text-primary underline-offset-2 hover:underline">
          Manage
        </Link>
      </div>
      <ul id={listId} role="listbox" aria-label="Saved replies" className="max-h-60 overflow-y-auto p-1">
        {options.map((reply, index) => (
          <li
            key={reply.id}
            id={optionId(index)}
            role="option"
            aria-selected={index === activeIndex}
            data-testid="saved-reply-option"
            data-shortcut={reply.shortcut}
            onMouseDown={(event) => {
              // Keep the textarea focused (and its caret) while choosing with the mouse.
              event.preventDefault();
              choose(reply);
            }}
            onMouseEnter={() => setActive(index)}
            className={cn(
              "grid cursor-pointer gap-0.5 rounded-md px-2 py-1.5",
              index === activeIndex ? "bg-accent text-accent-foreground" : "hover:bg-accent/60",
            )}
          >
            <span className="flex items-baseline gap-2 text-sm">
              <span className="font-mono text-xs font-semibold text-primary">/{reply.shortcut}</span>
              <span className="truncate font-medium">{reply.title}</span>
            </span>
            <span className="line-clamp-1 text-xs text-muted-foreground">{reply.text}</span>
          </li>
        ))}
        {options.length === 0 && query.isFetching && <li className="px-2 py-1.5 text-xs text-muted-foreground">Searching…</li>}
        {noneYet && !query.isFetching && (
          <li className="px-2 py-1.5 text-xs text-muted-foreground" data-testid="saved-reply-empty">
            Your team has no saved replies yet. Add them under Manage.
          </li>
        )}
      </ul>
    </div>
  ) : null;

  return {
    open,
    onKeyDown,
    inputProps: {
      "aria-controls": open ? listId : undefined,
      "aria-autocomplete": "list",
      "aria-activedescendant": open && options.length > 0 ? optionId(activeIndex) : undefined,
    },
    list,
  };
}
