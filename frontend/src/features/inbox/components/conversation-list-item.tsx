import { memo } from "react";
import { NavLink } from "react-router";

import type { Conversation } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { channelLabel, relativeTime } from "@/utils/format";

import { ContactAvatar } from "./contact-avatar";
import { WindowHint } from "./window-badge";

export interface ConversationListItemProps {
  conversation: Conversation;
  now: number;
}

export const ConversationListItem = memo(function ConversationListItem({ conversation, now }: ConversationListItemProps) {
  const unread = conversation.unread_count > 0;
  return (
    <li>
      <NavLink
        to={`/inbox/${conversation.id}`}
        data-testid="conversation-item"
        data-conversation-id={conversation.id}
        data-unread={conversation.unread_count}
        className={({ isActive }) =>
          cn(
            "group flex gap-3 border-l-2 border-transparent px-4 py-3 outline-none transition-colors hover:bg-accent/70 focus-visible:bg-accent",
            isActive && "border-l-primary bg-accent",
          )
        }
      >
        <ContactAvatar conversation={conversation} />
        <div className="min-w-0 flex-1">
          <div className="flex items-baseline gap-2">
            <span className={cn("truncate text-sm", unread ? "font-semibold" : "font-medium")}>
              {conversation.contact.name || conversation.contact.external_id}
            </span>
            <time
              className={cn("ml-auto shrink-0 text-xs", unread ? "font-medium text-primary" : "text-muted-foreground")}
              dateTime={conversation.last_message_at ?? undefined}
            >
              {relativeTime(conversation.last_message_at, now)}
            </time>
          </div>
          <div className="mt-0.5 flex items-center gap-2">
            <p
              data-testid="conversation-preview"
              className={cn("truncate text-sm", unread ? "text-foreground" : "text-muted-foreground")}
            >
              {conversation.last_message_preview ?? <span className="italic">No messages yet</span>}
            </p>
            {unread && (
              <span
                data-testid="unread-badge"
                aria-label={`${conversation.unread_count} unread`}
                className="ml-auto flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-primary px-1.5 text-[11px] font-semibold text-primary-foreground"
              >
                {conversation.unread_count > 99 ? "99+" : conversation.unread_count}
              </span>
            )}
          </div>
          <div className="mt-1 flex items-center gap-2 text-[11px] text-muted-foreground">
            <span className="truncate">
              {channelLabel(conversation.channel.kind)} · {conversation.channel.name}
            </span>
            <span className="ml-auto shrink-0">
              <WindowHint window={conversation.window} now={now} />
            </span>
          </div>
        </div>
      </NavLink>
    </li>
  );
});
