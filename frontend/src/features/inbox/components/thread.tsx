import { MessageSquareOff, Upload } from "lucide-react";
import { useCallback, useMemo, useRef, useState, type DragEvent } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useCan } from "@/features/auth/hooks/use-can";
import { CollisionBanner } from "@/features/realtime/components/collision-banner";
import { TypingIndicator } from "@/features/realtime/components/typing-indicator";
import { useNow } from "@/hooks/use-now";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Channel, Message } from "@/lib/api/types";
import { flattenMessages } from "@/lib/inbox-cache";
import { useConversationRoom } from "@/lib/realtime";

import { useConversation } from "../api/get-conversation";
import { useMessages } from "../api/get-messages";
import { useMarkReadOnView } from "../hooks/use-mark-read-on-view";
import { currentWindow } from "../utils/window";

import { Composer, type ComposerHandle } from "./composer";
import { MessageList } from "./message-list";
import { ThreadHeader } from "./thread-header";

export interface ThreadProps {
  conversationId: string;
  /** The tenant's channels by id (empty while unknown), for the composer's "cannot send" hint. */
  channels?: ReadonlyMap<string, Channel>;
}

function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

/**
 * Files dragged over the thread: an overlay while they hover, handed to the composer when
 * dropped. Counting enter/leave keeps the overlay steady over child elements.
 */
function useFileDrop(onFiles: (files: File[]) => void) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  return {
    dragging,
    handlers: {
      onDragEnter: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        depth.current += 1;
        setDragging(true);
      },
      onDragOver: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
      },
      onDragLeave: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        depth.current = 0;
        setDragging(false);
        onFiles(Array.from(event.dataTransfer.files));
      },
    },
  };
}

/**
 * One open conversation: header, live message list, composer. While it is open this screen
 * is in the conversation's realtime room: who else has it open, and who is typing.
 */
export function Thread({ conversationId, channels }: ThreadProps) {
  useConversationRoom(conversationId);
  const conversationQuery = useConversation(conversationId);
  const messagesQuery = useMessages(conversationId);
  const messages = useMemo(() => flattenMessages(messagesQuery.data), [messagesQuery.data]);
  const composerRef = useRef<ComposerHandle>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const now = useNow(30_000);
  const drop = useFileDrop((files) => composerRef.current?.addFiles(files));
  // Viewers may not attach, reply or mark read (the API refuses them): none of it is offered.
  const canWrite = useCan("conversations:write") === true;

  const onReply = useCallback((message: Message) => {
    setReplyTo(message);
    composerRef.current?.focus();
  }, []);
  const cancelReply = useCallback(() => setReplyTo(null), []);

  let latestInboundId: string | null = null;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message?.direction === "inbound") {
      latestInboundId = message.id;
      break;
    }
  }
  useMarkReadOnView(conversationId, latestInboundId, canWrite && messagesQuery.isSuccess && conversationQuery.isSuccess);

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

  const windowOpen = currentWindow(conversation, now).state === "open";

  return (
    <div className="relative flex h-full min-h-0 flex-col" data-testid="thread" {...(canWrite ? drop.handlers : {})}>
      <ThreadHeader conversation={conversation} />
      <CollisionBanner conversationId={conversationId} />
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
        channelKind={conversation.channel.kind}
        windowOpen={windowOpen}
        onReply={canWrite ? onReply : undefined}
      />
      <TypingIndicator conversationId={conversationId} />
      <Composer
        key={conversationId}
        ref={composerRef}
        conversation={conversation}
        channel={channels?.get(conversation.channel_id)}
        replyTo={replyTo}
        onCancelReply={cancelReply}
      />
      {drop.dragging && (
        <div
          data-testid="drop-overlay"
          className="pointer-events-none absolute inset-2 z-30 flex flex-col items-center justify-center gap-2 rounded-xl border-2 border-dashed border-primary bg-background/90 text-sm font-medium text-primary"
        >
          <Upload className="size-6" aria-hidden />
          Drop files to attach them
        </div>
      )}
    </div>
  );
}
