import { AlarmClock, Clock, Lock, Search, UserRound } from "lucide-react";
import { memo } from "react";
import { NavLink } from "react-router";

import { PresenceDot } from "@/features/realtime/components/presence-dot";
import { ListTypingPreview } from "@/features/realtime/components/typing-indicator";
import { PRESENCE_LABEL } from "@/features/realtime/utils/presence";
import type { Conversation, TeamMember } from "@/lib/api/types";
import { windowAt } from "@/lib/inbox-cache";
import type { ConversationFilters } from "@/lib/query-keys";
import { usePresence } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";
import { initials, relativeTime, timeUntil } from "@/utils/format";

import { memberName } from "../api/get-team-members";
import { conversationPath } from "../utils/inbox-filters";
import { snoozeLabel } from "../utils/inbox-views";

import { ContactAvatar } from "./contact-avatar";
import { SearchSnippet } from "./search-snippet";

const MAX_LABELS_SHOWN = 2;

/** The messaging window at a glance: "2h left" when it closes soon, "Closed" once closed. */
export function WindowIndicator({ conversation, now }: { conversation: Conversation; now: number }) {
  const window = windowAt(conversation, now);
  const left = window.expiresAt === null ? null : timeUntil(new Date(window.expiresAt).toISOString(), now);
  if (window.state === "closed") {
    return (
      <span
        data-testid="window-indicator"
        data-window-state="closed"
        title="Messaging window closed: only templates (WhatsApp) or tagged messages (Messenger) can be sent"
        className="inline-flex shrink-0 items-center gap-1 text-[11px] text-muted-foreground"
      >
        <Lock className="size-3" aria-hidden />
        Closed
      </span>
    );
  }
  if (window.expiring) {
    return (
      <span
        data-testid="window-indicator"
        data-window-state="expiring"
        title={window.state === "human_agent" ? "Human agent window closes soon" : "Messaging window closes soon"}
        className="inline-flex shrink-0 items-center gap-1 rounded-full bg-amber-100 px-1.5 py-px text-[11px] font-medium text-amber-800"
      >
        <AlarmClock className="size-3" aria-hidden />
        {left === null ? "Closing" : `${left} left`}
      </span>
    );
  }
  const human = window.state === "human_agent";
  return (
    <span
      data-testid="window-indicator"
      data-window-state={window.state}
      title={human ? `Human agent window · ${left ?? ""} left` : `Messaging window open · closes in ${left ?? ""}`}
      className={cn(
        "inline-flex shrink-0 items-center gap-1 text-[11px]",
        human ? "text-[oklch(0.55_0.13_65)]" : "text-[oklch(0.5_0.12_150)]",
      )}
    >
      {human ? <UserRound className="size-3" aria-hidden /> : <Clock className="size-3" aria-hidden />}
      {left}
    </span>
  );
}

function AssigneeAvatar({ assigneeId, members }: { assigneeId: string; members: ReadonlyMap<string, TeamMember> }) {
  const member = members.get(assigneeId);
  const name = member === undefined ? "a teammate" : memberName(member);
  const presence = usePresence(assigneeId);
  const label = `Assigned to ${name}${presence === null ? "" : ` (${PRESENCE_LABEL[presence].toLowerCase()})`}`;
  return (
    <span
      data-testid="assignee-avatar"
      title={label}
      aria-label={label}
      role="img"
      className="relative flex size-5 shrink-0 items-center justify-center rounded-full bg-primary/10 text-[9px] font-semibold text-primary"
    >
      {member === undefined ? "?" : initials(member.name ?? member.email.split("@")[0]?.replace(/[._-]+/g, " "))}
      <PresenceDot userId={assigneeId} className="size-1.5 ring-1" />
    </span>
  );
}

export interface ConversationListItemProps {
  conversation: Conversation;
  now: number;
  filters: ConversationFilters;
  members: ReadonlyMap<string, TeamMember>;
}

export const ConversationListItem = memo(function ConversationListItem({
  conversation,
  now,
  filters,
  members,
}: ConversationListItemProps) {
  const unread = conversation.unread_count > 0;
  const match = conversation.match ?? null;
  const name = conversation.contact.name || conversation.contact.external_id;
  const extraLabels = conversation.labels.length - MAX_LABELS_SHOWN;
  return (
    <li>
      <NavLink
        to={conversationPath(conversation.id, filters, match?.message_id)}
        data-testid="conversation-item"
        data-conversation-id={conversation.id}
        data-unread={conversation.unread_count}
        className={({ isActive }) =>
          cn(
            "group flex gap-3 border-l-2 border-transparent px-3 py-2.5 outline-none transition-colors hover:bg-accent/70 focus-visible:bg-accent focus-visible:ring-2 focus-visible:ring-ring focus-visible:ring-inset sm:px-4",
            isActive && "border-l-primary bg-accent",
          )
        }
      >
        <ContactAvatar conversation={conversation} />
        <div className="min-w-0 flex-1">
          <div className="flex items-baseline gap-2">
            <span className={cn("truncate text-sm", unread ? "font-semibold" : "font-medium")}>{name}</span>
            {conversation.status !== "open" && (
              <span
                data-testid="conversation-status"
                data-status={conversation.status}
                className={cn(
                  "shrink-0 truncate rounded px-1 text-[10px] font-medium tracking-wide uppercase",
                  conversation.status === "snoozed" && "bg-violet-100 text-violet-800",
                  conversation.status === "pending" && "bg-sky-100 text-sky-800",
                  conversation.status === "resolved" && "bg-muted text-muted-foreground",
                )}
                title={conversation.status === "snoozed" ? snoozeLabel(conversation.snoozed_until, now) : undefined}
              >
                {conversation.status}
              </span>
            )}
            <time
              className={cn("ml-auto shrink-0 text-xs", unread ? "font-medium text-primary" : "text-muted-foreground")}
              dateTime={conversation.last_message_at ?? undefined}
            >
              {relativeTime(conversation.last_message_at, now)}
            </time>
          </div>
          <div className="mt-0.5 flex items-center gap-2">
            {match !== null && filters.q !== null ? (
              <p className="line-clamp-2 min-w-0 text-sm text-muted-foreground">
                <Search className="mr-1 inline size-3 align-[-1px]" aria-label="Matching message" />
                <SearchSnippet snippet={match.snippet} query={filters.q} />
              </p>
            ) : (
              <ListTypingPreview
                conversationId={conversation.id}
                fallback={
                  <p
                    data-testid="conversation-preview"
                    className={cn("truncate text-sm", unread ? "text-foreground" : "text-muted-foreground")}
                  >
                    {conversation.last_message_preview ?? <span className="italic">No messages yet</span>}
                  </p>
                }
              />
            )}
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
          <div className="mt-1 flex min-w-0 items-center gap-1.5 text-[11px] text-muted-foreground">
            <span className="min-w-0 truncate" title={conversation.channel.name}>
              {conversation.channel.name}
            </span>
            {conversation.status === "snoozed" && (
              <span data-testid="snoozed-until" className="shrink-0 truncate text-violet-700">
                · {snoozeLabel(conversation.snoozed_until, now).replace("Snoozed until", "until")}
              </span>
            )}
            {conversation.labels.slice(0, MAX_LABELS_SHOWN).map((label) => (
              <span
                key={label}
                data-testid="label-chip"
                className="max-w-24 shrink-0 truncate rounded-full border bg-background px-1.5 leading-4 text-foreground/80"
              >
                {label}
              </span>
            ))}
            {extraLabels > 0 && (
              <span className="shrink-0" title={conversation.labels.slice(MAX_LABELS_SHOWN).join(", ")}>
                +{extraLabels}
              </span>
            )}
            <span className="ml-auto flex shrink-0 items-center gap-1.5">
              <WindowIndicator conversation={conversation} now={now} />
              {conversation.assignee_id !== null && (
                <AssigneeAvatar assigneeId={conversation.assignee_id} members={members} />
              )}
            </span>
          </div>
        </div>
      </NavLink>
    </li>
  );
});
