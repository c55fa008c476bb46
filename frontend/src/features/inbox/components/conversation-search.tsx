import { Search, X } from "lucide-react";
import { useEffect, useRef, useState } from "react";

import { cn } from "@/lib/utils";

import { MAX_SEARCH_LENGTH, normalizeSearch } from "../utils/inbox-filters";

export const SEARCH_DEBOUNCE_MS = 300;

export interface ConversationSearchProps {
  /** The search in the URL. */
  value: string | null;
  /** Called once typing pauses, with the normalised text (null: not searching). */
  onSearch: (q: string | null) => void;
  className?: string;
}

/** Full-text search over messages and notes; typing updates the list after a short pause. */
export function ConversationSearch({ value, onSearch, className }: ConversationSearchProps) {
  const [text, setText] = useState(value ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const sent = useRef(value);

  // The URL changed from elsewhere (back button, a folder link): show what it says.
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value ?? "");
    }
  }, [value]);

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );

  function send(next: string, delay: number) {
    if (timer.current !== null) clearTimeout(timer.current);
    const q = normalizeSearch(next);
    const apply = () => {
      timer.current = null;
      if (q === sent.current) return;
      sent.current = q;
      onSearch(q);
    };
    if (delay === 0) apply();
    else timer.current = setTimeout(apply, delay);
  }

  return (
    <div role="search" className={cn("relative", className)}>
      <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
      <input
        type="search"
        data-testid="conversation-search"
        data-inbox-search=""
        aria-label="Search messages"
        placeholder="Search messages…"
        autoComplete="off"
        maxLength={MAX_SEARCH_LENGTH}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          send(event.target.value, SEARCH_DEBOUNCE_MS);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") send(text, 0);
          if (event.key === "Escape") {
            event.preventDefault();
            if (text !== "") {
              setText("");
              send("", 0);
            } else {
              event.currentTarget.blur();
            }
          }
        }}
        className={cn(
          "h-9 w-full min-w-0 rounded-md border border-input bg-background pr-8 pl-8 text-sm shadow-xs outline-none placeholder:text-muted-foreground",
          "focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40 [&::-webkit-search-cancel-button]:hidden",
        )}
      />
      {text !== "" && (
        <button
          type="button"
          aria-label="Clear search"
          onClick={() => {
            setText("");
            send("", 0);
          }}
          className="absolute top-1/2 right-1.5 flex size-6 -translate-y-1/2 items-center justify-center rounded text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        >
          <X className="size-3.5" aria-hidden />
        </button>
      )}
    </div>
  );
}
