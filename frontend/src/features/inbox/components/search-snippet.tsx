import { useMemo } from "react";

import { highlightSnippet } from "../utils/highlight";

/** A search hit's text with the searched words marked (rendered as text, never as HTML). */
export function SearchSnippet({ snippet, query, className }: { snippet: string; query: string; className?: string }) {
  const pieces = useMemo(() => highlightSnippet(snippet, query), [snippet, query]);
  return (
    <span data-testid="search-snippet" className={className}>
      {pieces.map((piece, index) =>
        piece.hit ? (
          <mark key={index} className="rounded-[3px] bg-amber-200/80 px-0.5 text-foreground">
            {piece.text}
          </mark>
        ) : (
          <span key={index}>{piece.text}</span>
        ),
      )}
    </span>
  );
}
