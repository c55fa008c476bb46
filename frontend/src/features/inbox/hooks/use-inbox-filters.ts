import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import type { ConversationFilters } from "@/lib/query-keys";

import { filtersFromSearchParams, searchParamsFromFilters, searchStringOf } from "../utils/inbox-filters";

export type FiltersUpdate = Partial<ConversationFilters> | ((current: ConversationFilters) => ConversationFilters);

export interface InboxFilters {
  filters: ConversationFilters;
  /** Changes the view (the open conversation stays open); `replace` for typing-as-you-go changes. */
  setFilters: (update: FiltersUpdate, options?: { replace?: boolean }) => void;
}

/** The list's view, read from and written to the URL's search params. */
export function useInboxFilters(): InboxFilters {
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  // Keyed by the params' text: the same view keeps the same filters object (and query key).
  const filters = useMemo(() => filtersFromSearchParams(new URLSearchParams(key)), [key]);
  const setFilters = useCallback(
    (update: FiltersUpdate, options: { replace?: boolean } = {}) => {
      setParams(
        (current) => {
          const now = filtersFromSearchParams(current);
          const next = typeof update === "function" ? update(now) : { ...now, ...update };
          return searchParamsFromFilters(next, current);
        },
        { replace: options.replace ?? false },
      );
    },
    [setParams],
  );
  return { filters, setFilters };
}

/** The list with the current view ("/inbox?folder=mine"): the way back from a thread on a phone. */
export function useInboxListPath(): string {
  const { filters } = useInboxFilters();
  return `/inbox${searchStringOf(filters)}`;
}
