import { Hourglass, Inbox, UserRound, UserRoundX, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { Link, useLocation } from "react-router";

import { ChannelIcon } from "@/components/channel-icon";
import { unreadIn, useUnreadSummary, type UnreadSummary } from "@/features/realtime/api/get-unread-summary";
import { UnreadCountBadge } from "@/features/realtime/components/unread-count";
import type { Channel, ConversationCounts } from "@/lib/api/types";
import type { ConversationFilters, ConversationFolder } from "@/lib/query-keys";
import { cn } from "@/lib/utils";

import { searchStringOf } from "../utils/inbox-filters";
import { activeView, FOLDER_LABEL, filtersForView, viewCount, type InboxView } from "../utils/inbox-views";

const FOLDER_ICON: Record<ConversationFolder, LucideIcon> = { mine: UserRound, unassigned: UserRoundX, all: Inbox };

function Count({ value }: { value: number | undefined }) {
  if (value === undefined) return null;
  return (
    <span data-testid="folder-count" className="ml-auto text-xs tabular-nums text-muted-foreground" title={`${value} open`}>
      {value > 999 ? "999+" : value}
    </span>
  );
}

interface EntryProps {
  view: InboxView;
  active: boolean;
  filters: ConversationFilters;
  icon: ReactNode;
  label: string;
  count: number | undefined;
  /** Unread conversations, kept live (undefined until the realtime connection is up). */
  unread: UnreadSummary | undefined;
  onNavigate?: () => void;
}

function Entry({ view, active, filters, icon, label, count, unread, onNavigate }: EntryProps) {
  const { pathname } = useLocation();
  return (
    <li>
      <Link
        to={{ pathname, search: searchStringOf(filtersForView(filters, view)) }}
        data-testid="folder-link"
        data-view={view}
        aria-current={active ? "page" : undefined}
        onClick={onNavigate}
        className={cn(
          "flex h-8 items-center gap-2 rounded-md px-2 text-sm text-foreground/80 outline-none transition-colors hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring",
          active && "bg-accent font-medium text-foreground",
        )}
      >
        {icon}
        <span className="min-w-0 flex-1 truncate">{label}</span>
        <UnreadCountBadge unread={unread === undefined ? undefined : unreadIn(unread, view)} />
        <Count value={count} />
      </Link>
    </li>
  );
}

export interface FolderNavProps {
  filters: ConversationFilters;
  counts: ConversationCounts | undefined;
  channels: readonly Channel[];
  /** Called after an entry is picked (a menu closes itself). */
  onNavigate?: () => void;
  className?: string;
}

/**
 * Mine / Unassigned / All with their open counts (and, while live, how many have unread
 * messages), "Expiring soon", then one entry per channel.
 */
export function FolderNav({ filters, counts, channels, onNavigate, className }: FolderNavProps) {
  const active = activeView(filters);
  const unread = useUnreadSummary();
  const folders: ConversationFolder[] = ["mine", "unassigned", "all"];
  return (
    <nav aria-label="Inbox folders" data-testid="folder-nav" className={cn("grid gap-4", className)}>
      <ul className="grid gap-0.5">
        {folders.map((folder) => {
          const Icon = FOLDER_ICON[folder];
          return (
            <Entry
              key={folder}
              view={folder}
              active={active === folder}
              filters={filters}
              icon={<Icon className="size-4 shrink-0 text-muted-foreground" aria-hidden />}
              label={FOLDER_LABEL[folder]}
              count={viewCount(folder, counts)}
              unread={unread}
              onNavigate={onNavigate}
            />
          );
        })}
        <Entry
          view="expiring"
          active={active === "expiring"}
          filters={filters}
          icon={<Hourglass className="size-4 shrink-0 text-[oklch(0.55_0.13_65)]" aria-hidden />}
          label="Expiring soon"
          count={undefined}
          unread={undefined}
          onNavigate={onNavigate}
        />
      </ul>
      {channels.length > 0 && (
        <div className="grid gap-1">
          <h3 className="px-2 text-[11px] font-semibold tracking-wide text-muted-foreground uppercase">Channels</h3>
          <ul className="grid gap-0.5">
            {channels.map((channel) => {
              const view: InboxView = `channel:${channel.id}`;
              return (
                <Entry
                  key={channel.id}
                  view={view}
                  active={active === view}
                  filters={filters}
                  icon={<ChannelIcon kind={channel.kind} />}
                  label={channel.name}
                  count={viewCount(view, counts)}
                  unread={unread}
                  onNavigate={onNavigate}
                />
              );
            })}
          </ul>
        </div>
      )}
    </nav>
  );
}
