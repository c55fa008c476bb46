import { MessageSquareDashed } from "lucide-react";
import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ScrollArea } from "@/components/ui/scroll-area";
import { Spinner } from "@/components/ui/spinner";
import type { ChannelKind, Message } from "@/lib/api/types";
import { dayLabel } from "@/utils/format";

import { useAutoScroll } from "../hooks/use-auto-scroll";

import { EmptyState } from "@/components/ui/empty-state";
import { MessageBubble } from "./message-bubble";

export interface MessageListProps {
  conversationId: string;
  messages: Message[];
  /** The customer's name, for reply quotes and reactions. */
  contactName?: string | null;
  isPending: boolean;
  error: string | null;
  hasOlder: boolean;
  isFetchingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: () => void;
  /** The conversation's channel and window: which message actions (react, quote) apply. */
  channelKind?: ChannelKind;
  windowOpen?: boolean;
  /** "Reply" on a message: quote it in the composer. */
  onReply?: (message: Message) => void;
}

const LOAD_OLDER_THRESHOLD_PX = 80;
const HIGHLIGHT_MS = 1600;

function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Loaded messages by our id and by the provider's id, to resolve what a reply quotes. */
function useReplyTargets(messages: Message[]): (message: Message) => string | null {
  const index = useMemo(() => {
    const ids = new Set<string>();
    const byExternalId = new Map<string, string>();
    for (const message of messages) {
      ids.add(message.id);
      if (message.external_id !== null) byExternalId.set(message.external_id, message.id);
    }
    return { ids, byExternalId };
  }, [messages]);
  return useCallback(
    (message: Message) => {
      const replyTo = message.reply_to;
      if (replyTo === null || replyTo === undefined) return null;
      if (replyTo.id !== null && index.ids.has(replyTo.id)) return replyTo.id;
      return index.byExternalId.get(replyTo.external_id) ?? null;
    },
    [index],
  );
}

export function MessageList({
  conversationId,
  messages,
  contactName = null,
  isPending,
  error,
  hasOlder,
  isFetchingOlder,
  onLoadOlder,
  onRetry,
  channelKind,
  windowOpen = false,
  onReply,
}: MessageListProps) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const { onScroll: trackBottom } = useAutoScroll(viewportRef, conversationId, messages);

  const onScroll = useCallback(() => {
    trackBottom();
    const element = viewportRef.current;
    if (element !== null && element.scrollTop < LOAD_OLDER_THRESHOLD_PX && hasOlder && !isFetchingOlder) {
      onLoadOlder();
    }
  }, [trackBottom, hasOlder, isFetchingOlder, onLoadOlder]);

  const replyTargetOf = useReplyTargets(messages);
  const [highlightedId, setHighlightedId] = useState<string | null>(null);
  useEffect(() => {
    if (highlightedId === null) return;
    const timer = setTimeout(() => setHighlightedId(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlightedId]);

  /** A reply quote was clicked: bring the original into view and flash it. */
  const jumpToMessage = useCallback((messageId: string) => {
    const viewport = viewportRef.current;
    if (viewport === null) return;
    const target = Array.from(viewport.querySelectorAll<HTMLElement>("[data-message-id]")).find(
      (element) => element.dataset.messageId === messageId,
    );
    if (target === undefined) return;
    target.scrollIntoView?.({ behavior: "smooth", block: "center" });
    setHighlightedId(messageId);
  }, []);

  let body;
  if (isPending) {
    body = (
      <div className="flex h-full items-center justify-center py-24">
        <Spinner className="size-6" label="Loading messages" />
      </div>
    );
  } else if (error !== null && messages.length === 0) {
    body = (
      <div className="p-6">
        <Alert variant="destructive">
          <AlertDescription>
            {error}{" "}
            <button type="button" className="font-medium underline" onClick={onRetry}>
              Try again
            </button>
          </AlertDescription>
        </Alert>
      </div>
    );
  } else if (messages.length === 0) {
    body = <EmptyState icon={MessageSquareDashed} title="No messages yet" description="Messages in this conversation will appear here." />;
  } else {
    body = (
      <div className="flex flex-col gap-2 px-4 py-5 sm:px-6">
        {hasOlder && (
          <div className="flex justify-center pb-2">
            <Button variant="ghost" size="sm" onClick={onLoadOlder} disabled={isFetchingOlder}>
              {isFetchingOlder && <Spinner />}
              Load older messages
            </Button>
          </div>
        )}
        {messages.map((message, index) => {
          const previous = messages[index - 1];
          const newDay = previous === undefined || dayKey(previous.created_at) !== dayKey(message.created_at);
          return (
            <Fragment key={message.id}>
              {newDay && (
                <div className="my-2 flex items-center gap-3 text-xs font-medium text-muted-foreground" role="separator">
                  <span className="h-px flex-1 bg-border" />
                  {dayLabel(message.created_at)}
                  <span className="h-px flex-1 bg-border" />
                </div>
              )}
              <MessageBubble
                message={message}
                contactName={contactName}
                replyTargetId={replyTargetOf(message)}
                onJumpToMessage={jumpToMessage}
                highlighted={highlightedId === message.id}
                channelKind={channelKind}
                windowOpen={windowOpen}
                onReply={onReply}
              />
            </Fragment>
          );
        })}
      </div>
    );
  }

  return (
    <ScrollArea
      className="min-h-0 flex-1 bg-muted/30"
      viewportRef={viewportRef}
      viewportProps={{
        onScroll,
        "data-testid": "message-list",
        "data-count": messages.length,
        "aria-label": "Messages",
        "aria-live": "polite",
        role: "log",
      }}
    >
      {body}
    </ScrollArea>
  );
}
