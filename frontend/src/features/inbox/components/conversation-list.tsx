import { Inbox, RefreshCw } from "lucide-react";
import { useMemo } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ScrollArea } from "@/components/ui/scroll-area";
import { Spinner } from "@/components/ui/spinner";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import { flattenConversations } from "@/lib/inbox-cache";

import { useConversations } from "../api/get-conversations";

import { ConversationListItem } from "./conversation-list-item";
import { EmptyState } from "@/components/ui/empty-state";

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

export function ConversationList() {
  const query = useConversations();
  const now = useNow();
  const conversations = useMemo(() => flattenConversations(query.data), [query.data]);
  const unreadTotal = conversations.filter((c) => c.unread_count > 0).length;

  return (
    <section aria-label="Conversations" className="flex h-full min-h-0 flex-col">
      <header className="flex h-16 shrink-0 items-center gap-2 border-b px-4">
        <h2 className="text-base font-semibold">Inbox</h2>
        {unreadTotal > 0 && <span className="text-xs text-muted-foreground">{unreadTotal} unread</span>}
        <Button
          variant="ghost"
          size="icon"
          className="ml-auto size-8"
          aria-label="Refresh conversations"
          title="Refresh"
          onClick={() => void query.refetch()}
          disabled={query.isFetching}
        >
          <RefreshCw className={query.isFetching ? "animate-spin" : undefined} />
        </Button>
      </header>
      <ScrollArea className="min-h-0 flex-1">
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
            <EmptyState
              icon={Inbox}
              title="No conversations yet"
              description="Connect a channel or send a test message from metasim."
            />
          </div>
        ) : (
          <>
            <ul data-testid="conversation-list" data-count={conversations.length} className="divide-y divide-border/70">
              {conversations.map((conversation) => (
                <ConversationListItem key={conversation.id} conversation={conversation} now={now} />
              ))}
            </ul>
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
