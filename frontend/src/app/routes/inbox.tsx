import { useQueryClient } from "@tanstack/react-query";
import { Keyboard, MessagesSquare } from "lucide-react";
import { useCallback, useMemo, useState } from "react";
import { Outlet, useNavigate, useParams } from "react-router";

import { EmptyState } from "@/components/ui/empty-state";
import { useCan } from "@/features/auth/hooks/use-can";
import { useChannelMap, useChannels } from "@/features/channels/api/get-channels";
import { useConversationCounts } from "@/features/inbox/api/get-conversation-counts";
import { useConversations } from "@/features/inbox/api/get-conversations";
import { useUpdateConversation } from "@/features/inbox/api/update-conversation";
import { ConversationList } from "@/features/inbox/components/conversation-list";
import { FolderNav } from "@/features/inbox/components/folder-nav";
import { ShortcutsDialog } from "@/features/inbox/components/shortcuts-dialog";
import { Thread } from "@/features/inbox/components/thread";
import { useInboxFilters } from "@/features/inbox/hooks/use-inbox-filters";
import { useInboxShortcuts } from "@/features/inbox/hooks/use-inbox-shortcuts";
import { conversationPath } from "@/features/inbox/utils/inbox-filters";
import { neighbour, phonePane } from "@/features/inbox/utils/inbox-views";
import { errorMessage } from "@/lib/api/errors";
import { findCachedConversation, flattenConversations } from "@/lib/inbox-cache";
import { cn } from "@/lib/utils";

/**
 * The inbox: folder sidebar (wide screens), the conversation list and the open thread; on
 * a phone one pane at a time. Owns the view (in the URL) and the keyboard shortcuts.
 */
export function InboxRoute() {
  const { conversationId } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { filters, setFilters } = useInboxFilters();
  const list = useConversations(filters);
  const counts = useConversationCounts();
  const channels = useChannels();
  // Viewers read along: the shortcuts that change things (r, e) do nothing for them.
  const canWrite = useCan("conversations:write") === true;
  const update = useUpdateConversation();
  const [helpOpen, setHelpOpen] = useState(false);
  const conversations = useMemo(() => flattenConversations(list.data), [list.data]);
  const pane = phonePane(conversationId);

  const go = useCallback(
    (step: 1 | -1) => {
      const target = neighbour(conversations, conversationId, step);
      if (target !== undefined) {
        navigate(conversationPath(target.id, filters));
      } else if (step === 1 && list.hasNextPage && !list.isFetchingNextPage) {
        void list.fetchNextPage();
      }
    },
    [conversations, conversationId, filters, list, navigate],
  );

  useInboxShortcuts({
    next: () => go(1),
    previous: () => go(-1),
    reply: () => {
      if (canWrite) document.querySelector<HTMLElement>("[data-testid='composer-input']")?.focus();
    },
    resolve: () => {
      if (conversationId === undefined || !canWrite) return;
      const current = findCachedConversation(queryClient, conversationId);
      if (current?.status === "resolved") return;
      update.mutate({ conversationId, changes: { status: "resolved" } });
    },
    search: () => document.querySelector<HTMLElement>("[data-inbox-search]")?.focus(),
    help: () => setHelpOpen(true),
  });

  return (
    <div className="flex h-full min-h-0" data-testid="inbox" data-phone-pane={pane}>
      <aside
        aria-label="Folders"
        className="hidden h-full w-56 shrink-0 overflow-y-auto border-r bg-muted/30 px-2 py-3 2xl:block"
      >
        <FolderNav filters={filters} counts={counts.data} channels={channels.data?.items ?? []} />
      </aside>
      <div
        data-testid="inbox-list-pane"
        data-phone-visible={pane === "list"}
        className={cn("h-full w-full shrink-0 border-r bg-background md:w-80 lg:w-96", pane !== "list" && "hidden md:block")}
      >
        <ConversationList
          filters={filters}
          onFiltersChange={setFilters}
          selectedId={conversationId}
          onShowShortcuts={() => setHelpOpen(true)}
        />
      </div>
      <div
        data-testid="inbox-thread-pane"
        data-phone-visible={pane === "thread"}
        className={cn("h-full min-w-0 flex-1 bg-background", pane !== "thread" && "hidden md:block")}
      >
        <Outlet />
      </div>
      <ShortcutsDialog open={helpOpen} onOpenChange={setHelpOpen} />
      {update.isError && (
        <div
          role="alert"
          data-testid="shortcut-error"
          className="fixed bottom-4 left-1/2 z-50 flex w-[min(28rem,calc(100vw-2rem))] -translate-x-1/2 items-start gap-3 rounded-lg border border-destructive/30 bg-background p-3 text-sm shadow-lg"
        >
          <p className="flex-1">
            <span className="font-medium">Could not resolve the conversation.</span> {errorMessage(update.error)}
          </p>
          <button
            type="button"
            onClick={() => update.reset()}
            className="shrink-0 rounded px-1.5 text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
          >
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}

export function InboxIndexRoute() {
  return (
    <EmptyState
      className="h-full"
      icon={MessagesSquare}
      title="Select a conversation"
      description="Pick a conversation on the left to read it and reply."
    >
      <p className="hidden items-center gap-1.5 text-xs text-muted-foreground md:flex">
        <Keyboard className="size-3.5" aria-hidden />
        Press <kbd className="rounded border bg-muted px-1 font-mono">j</kbd> /{" "}
        <kbd className="rounded border bg-muted px-1 font-mono">k</kbd> to move through the list,{" "}
        <kbd className="rounded border bg-muted px-1 font-mono">?</kbd> for all shortcuts.
      </p>
    </EmptyState>
  );
}

export function ConversationRoute() {
  const { conversationId } = useParams();
  // The composer tells people when the conversation's channel cannot send right now.
  const channels = useChannelMap();
  if (conversationId === undefined) return null;
  return <Thread key={conversationId} conversationId={conversationId} channels={channels} />;
}
