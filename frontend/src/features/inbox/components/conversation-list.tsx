import { Inbox, Keyboard, RefreshCw, SearchX } from "lucide-react";
import { useEffect, useMemo, useRef, type RefObject } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { ScrollArea } from "@/components/ui/scroll-area";
import { Spinner } from "@/components/ui/spinner";
import { useChannels } from "@/features/channels/api/get-channels";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import { flattenConversations } from "@/lib/inbox-cache";
import type { ConversationFilters } from "@/lib/query-keys";

import { useConversationCounts } from "../api/get-conversation-counts";
import { useConversations } from "../api/get-conversations";
import { useLabels } from "../api/get-labels";
import { useTeamMemberMap, useTeamMembers } from "../api/get-team-members";
import type { FiltersUpdate } from "../hooks/use-inbox-filters";
import { activeRefinements } from "../utils/inbox-filters";
import { activeView, emptyCopy, viewCount, viewTitle } from "../utils/inbox-views";

import { ActiveFilters, FilterMenu, StatusTabs } from "./conversation-filters";
import { ConversationListItem } from "./conversation-list-item";
import { ConversationSearch } from "./conversation-search";
import { FolderSwitcher } from "./folder-switcher";
import { StartConversationButton } from "./start-conversation";

function ListSkeleton() {
  return (
    <ul aria-hidden className="divide-y">
      {Array.from({ length: 6 }, (_, i) => (
        <li key={i} className="flex animate-pulse gap-3 px-4 py-3">
          <div className="size-10 rounded-full bg-muted" />
          <div className="flex-1 space-y-2 py-1">
            <div className="h-3 w-2/5 rounded bg-muted" />
            <div className="h-3 w-4/5 rounded bg-muted" />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** Loads the next page when the end of the list comes near the bottom of its scroll area. */
function useLoadMoreWhenVisible(load: () => void, enabled: boolean, root: RefObject<HTMLDivElement | null>) {
  const sentinel = useRef<HTMLDivElement>(null);
  const latest = useRef(load);
  useEffect(() => {
    latest.current = load;
  });
  useEffect(() => {
    const node = sentinel.current;
    if (!enabled || node === null || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) latest.current();
      },
      { root: root.current, rootMargin: "0px 0px 320px 0px" },
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [enabled, root]);
  return sentinel;
}

export interface ConversationListProps {
  filters: ConversationFilters;
  onFiltersChange: (update: FiltersUpdate, options?: { replace?: boolean }) => void;
  /** The open conversation (kept scrolled into view as j/k move through the list). */
  selectedId?: string;
  onShowShortcuts?: () => void;
}

export function ConversationList({ filters, onFiltersChange, selectedId, onShowShortcuts }: ConversationListProps) {
  const query = useConversations(filters);
  const counts = useConversationCounts();
  const channelsQuery = useChannels();
  const members = useTeamMembers();
  const memberMap = useTeamMemberMap();
  const labels = useLabels();
  const now = useNow();
  const conversations = useMemo(() => flattenConversations(query.data), [query.data]);
  const channels = channelsQuery.data?.items ?? [];
  const view = activeView(filters);
  const viewport = useRef<HTMLDivElement>(null);
  const sentinel = useLoadMoreWhenVisible(
    () => {
      if (query.hasNextPage && !query.isFetchingNextPage) void query.fetchNextPage();
    },
    query.hasNextPage,
    viewport,
  );

  // Another view: start at its top, not where the previous one was scrolled to.
  const viewKey = JSON.stringify(filters);
  useEffect(() => {
    if (viewport.current !== null) viewport.current.scrollTop = 0;
  }, [viewKey]);

  useEffect(() => {
    if (selectedId === undefined) return;
    const row = document.querySelector(`[data-conversation-id="${CSS.escape(selectedId)}"]`);
    row?.scrollIntoView?.({ block: "nearest" });
  }, [selectedId]);

  const empty = emptyCopy(filters, channels);
  const count = viewCount(view, counts.data);

  return (
    <section aria-label="Conversations" className="flex h-full min-h-0 flex-col">
      <header className="grid shrink-0 gap-2 border-b px-3 pt-3 pb-2.5 sm:px-4">
        <div className="flex min-h-8 items-center gap-1">
          <FolderSwitcher filters={filters} counts={counts.data} channels={channels} className="flex-1 2xl:hidden" />
          <h2 className="hidden min-w-0 items-baseline gap-1.5 2xl:flex">
            <span className="truncate text-base font-semibold">{viewTitle(view, channels)}</span>
            {count !== undefined && <span className="text-xs tabular-nums text-muted-foreground">{count}</span>}
          </h2>
          <div className="ml-auto flex shrink-0 items-center gap-0.5">
            <FilterMenu
              filters={filters}
              onChange={onFiltersChange}
              members={members.data ?? []}
              labels={labels.data ?? []}
            />
            <Button
              variant="ghost"
              size="icon"
              className="size-8"
              aria-label="Refresh conversations"
              title="Refresh"
              onClick={() => {
                void query.refetch();
                void counts.refetch();
              }}
              disabled={query.isFetching}
            >
              <RefreshCw className={query.isFetching ? "animate-spin" : undefined} />
            </Button>
            {onShowShortcuts !== undefined && (
              <Button
                variant="ghost"
                size="icon"
                className="hidden size-8 md:inline-flex"
                aria-label="Keyboard shortcuts"
                title="Keyboard shortcuts (?)"
                onClick={onShowShortcuts}
              >
                <Keyboard />
              </Button>
            )}
            <StartConversationButton className="ml-1" />
          </div>
        </div>
        <ConversationSearch value={filters.q} onSearch={(q) => onFiltersChange({ q }, { replace: true })} />
        <StatusTabs filters={filters} onChange={onFiltersChange} />
        <ActiveFilters filters={filters} onChange={onFiltersChange} members={memberMap} />
      </header>
      <ScrollArea className="min-h-0 flex-1" viewportRef={viewport}>
        {query.isPending ? (
          <ListSkeleton />
        ) : query.isError && conversations.length === 0 ? (
          <div className="p-4">
            <Alert variant="destructive">
              <AlertDescription>
                {errorMessage(query.error)}{" "}
                <button type="button" className="font-medium underline" onClick={() => void query.refetch()}>
                  Try again
                </button>
              </AlertDescription>
            </Alert>
          </div>
        ) : conversations.length === 0 ? (
          <div data-testid="conversation-list" data-count={0}>
            <EmptyState icon={filters.q === null ? Inbox : SearchX} title={empty.title} description={empty.description}>
              {filters.q !== null && filters.status !== null && (
                <Button variant="outline" size="sm" onClick={() => onFiltersChange({ status: null })}>
                  Search all statuses
                </Button>
              )}
              {filters.q === null && activeRefinements(filters) > 0 && filters.window !== "expiring" && (
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => onFiltersChange({ assigneeId: null, label: null, window: null, unread: false })}
                >
                  Clear filters
                </Button>
              )}
            </EmptyState>
          </div>
        ) : (
          <>
            <ul
              data-testid="conversation-list"
              data-count={conversations.length}
              aria-busy={query.isFetching}
              className="divide-y divide-border/70"
            >
              {conversations.map((conversation) => (
                <ConversationListItem
                  key={conversation.id}
                  conversation={conversation}
                  now={now}
                  filters={filters}
                  members={memberMap}
                />
              ))}
            </ul>
            <div ref={sentinel} aria-hidden className="h-px" />
            {query.hasNextPage && (
              <div className="flex justify-center p-3">
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => void query.fetchNextPage()}
                  disabled={query.isFetchingNextPage}
                >
                  {query.isFetchingNextPage && <Spinner />}
                  Load more
                </Button>
              </div>
            )}
          </>
        )}
      </ScrollArea>
    </section>
  );
}
