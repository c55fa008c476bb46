import { MessagesSquare } from "lucide-react";
import { Outlet, useParams } from "react-router";

import { EmptyState } from "@/components/ui/empty-state";
import { useChannelMap } from "@/features/channels/api/get-channels";
import { ConversationList } from "@/features/inbox/components/conversation-list";
import { Thread } from "@/features/inbox/components/thread";
import { cn } from "@/lib/utils";

/** Conversation list beside the selected thread (on small screens, one at a time). */
export function InboxRoute() {
  const { conversationId } = useParams();
  const selected = conversationId !== undefined;
  return (
    <div className="flex h-full min-h-0">
      <div
        className={cn(
          "h-full w-full shrink-0 border-r bg-background md:w-80 lg:w-96",
          selected && "hidden md:block",
        )}
      >
        <ConversationList />
      </div>
      <div className={cn("h-full min-w-0 flex-1 bg-background", !selected && "hidden md:block")}>
        <Outlet />
      </div>
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
    />
  );
}

export function ConversationRoute() {
  const { conversationId } = useParams();
  // The composer tells people when the conversation's channel cannot send right now.
  const channels = useChannelMap();
  if (conversationId === undefined) return null;
  return <Thread key={conversationId} conversationId={conversationId} channels={channels} />;
}
