import { MessageSquareOff } from "lucide-react";
import { useMemo } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Channel } from "@/lib/api/types";
import { flattenMessages } from "@/lib/inbox-cache";

import { useConversation } from "../api/get-conversation";
import { useMessages } from "../api/get-messages";
import { useMarkReadOnView } from "../hooks/use-mark-read-on-view";

import { Composer } from "./composer";
import { EmptyState } from "@/components/ui/empty-state";
import { MessageList } from "./message-list";
import { ThreadHeader } from "./thread-header";

export interface ThreadProps {
  conversationId: string;
  /** The tenant's channels by id (empty while unknown), for the composer's "cannot send" hint. */
  channels?: ReadonlyMap<string, Channel>;
}

/** One open conversation: header, live message list, composer. */
export function Thread({ conversationId, channels }: ThreadProps) {
  const conversationQuery = useConversation(conversationId);
  const messagesQuery = useMessages(conversationId);
  const messages = useMemo(() => flattenMessages(messagesQuery.data), [messagesQuery.data]);

  let latestInboundId: string | null = null;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message?.direction === "inbound") {
      latestInboundId = message.id;
      break;
    }
  }
  useMarkReadOnView(conversationId, latestInboundId, messagesQuery.isSuccess && conversationQuery.isSuccess);

  const conversation = conversationQuery.data;

  if (conversation === undefined) {
    if (conversationQuery.isError) {
      const missing = conversationQuery.error instanceof ApiError && conversationQuery.error.status === 404;
      return (
        <EmptyState
          className="h-full"
          icon={MessageSquareOff}
          title={missing ? "Conversation not found" : "Could not load this conversation"}
          description={missing ? "It may have been removed, or it belongs to another workspace." : errorMessage(conversationQuery.error)}
        >
          <Button asChild variant="outline" size="sm">
            <Link to="/inbox">Back to inbox</Link>
          </Button>
        </EmptyState>
      );
    }
    return (
      <div className="flex h-full items-center justify-center">
        <Spinner className="size-6" label="Loading conversation" />
      </div>
    );
  }

  return (
    <div className="flex h-full min-h-0 flex-col">
      <ThreadHeader conversation={conversation} />
      <MessageList
        conversationId={conversationId}
        messages={messages}
        contactName={conversation.contact.name || null}
        isPending={messagesQuery.isPending}
        error={messagesQuery.isError ? errorMessage(messagesQuery.error) : null}
        hasOlder={messagesQuery.hasNextPage}
        isFetchingOlder={messagesQuery.isFetchingNextPage}
        onLoadOlder={() => void messagesQuery.fetchNextPage()}
        onRetry={() => void messagesQuery.refetch()}
      />
      <Composer
        key={conversationId}
        conversationId={conversationId}
        window={conversation.window}
        channel={channels?.get(conversation.channel_id)}
      />
    </div>
  );
}
