import { Activity, BarChart3, Inbox, LogOut, MessagesSquare, Plug, Settings, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { NavLink, Outlet } from "react-router";

import { Avatar, AvatarFallback } from "@/components/ui/avatar";
import { useMe } from "@/features/auth/api/get-me";
import { useLogout } from "@/features/auth/hooks/use-auth";
import { useCan } from "@/features/auth/hooks/use-can";
import { ReauthBanner } from "@/features/channels/components/reauth-banner";
import { unreadIn, useUnreadSummary } from "@/features/realtime/api/get-unread-summary";
import { PresenceDot } from "@/features/realtime/components/presence-dot";
import { UnreadCountBadge } from "@/features/realtime/components/unread-count";
import { useUnreadTitle } from "@/features/realtime/hooks/use-unread-title";
import { PRESENCE_LABEL } from "@/features/realtime/utils/presence";
import { useRealtimeConnection, type RealtimeStatus } from "@/lib/realtime";
import { usePresence, useRealtimeSession } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";
import { initials } from "@/utils/format";

const STATUS_TEXT: Record<RealtimeStatus, string> = {
  idle: "Offline",
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

function ConnectionStatus({ status }: { status: RealtimeStatus }) {
  return (
    <div
      data-testid="realtime-status"
      data-status={status}
      className="flex items-center gap-2 px-3 text-xs text-sidebar-muted"
      title={status === "connected" ? "Receiving updates live" : "Live updates paused"}
    >
      <span
        className={cn(
          "size-2 rounded-full",
          status === "connected" ? "bg-emerald-400" : status === "idle" || status === "offline" ? "bg-zinc-500" : "animate-pulse bg-amber-400",
        )}
      />
      <span className="hidden lg:inline">{STATUS_TEXT[status]}</span>
    </div>
  );
}

function UserMenu({ connection }: { connection: RealtimeStatus }) {
  const me = useMe();
  const logout = useLogout();
  const session = useRealtimeSession();
  const email = me.data?.email ?? "";
  // What teammates see of us: the server's word while connected, offline while not.
  const presence = usePresence(session?.userId);
  const status = presence === null ? undefined : connection === "connected" ? presence : "offline";
  return (
    <div
      data-testid="user-menu"
      className="flex flex-col items-center gap-2 rounded-lg p-1 lg:flex-row lg:gap-3 lg:bg-sidebar-accent/60 lg:p-2"
    >
      <span className="relative inline-flex shrink-0" data-testid="user-presence" data-status={status}>
        <Avatar className="size-8" title={status === undefined ? email : `${email} · ${PRESENCE_LABEL[status]}`}>
          <AvatarFallback className="bg-primary/90 text-xs font-semibold text-primary-foreground">
            {me.data ? initials(email.split("@")[0]?.replace(/[._-]+/g, " ")) : ""}
          </AvatarFallback>
        </Avatar>
        {status !== undefined && <PresenceDot userId={session?.userId} status={status} className="ring-sidebar" />}
      </span>
      <div className="hidden min-w-0 flex-1 lg:block">
        <p data-testid="tenant-name" className="truncate text-sm font-medium text-sidebar-foreground" title={me.data?.tenant.name}>
          {me.isPending ? <span className="inline-block h-3 w-24 animate-pulse rounded bg-sidebar-accent" /> : me.data?.tenant.name}
        </p>
        <p data-testid="user-email" className="truncate text-xs text-sidebar-muted" title={email}>
          {email}
        </p>
      </div>
      <button
        type="button"
        data-testid="logout"
        onClick={logout}
        title="Log out"
        className="flex items-center gap-1.5 rounded-md p-1.5 text-sidebar-muted transition-colors hover:bg-sidebar-accent hover:text-sidebar-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
      >
        <LogOut className="size-4" aria-hidden />
        <span className="sr-only">Log out</span>
      </button>
    </div>
  );
}

interface NavItemProps {
  to: string;
  label: string;
  icon: LucideIcon;
  testId: string;
  /** A count beside the label (on the icon's corner when the sidebar is narrow). */
  badge?: ReactNode;
}

function NavItem({ to, label, icon: Icon, testId, badge }: NavItemProps) {
  return (
    <NavLink
      to={to}
      data-testid={testId}
      title={label}
      className={({ isActive }) =>
        cn(
          "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-sidebar-muted transition-colors hover:bg-sidebar-accent hover:text-sidebar-foreground",
          isActive && "bg-sidebar-accent text-white",
        )
      }
    >
      <span className="relative shrink-0">
        <Icon className="size-4" aria-hidden />
        {badge !== undefined && <span className="absolute -top-2 -right-2.5 lg:hidden">{badge}</span>}
      </span>
      <span className="hidden lg:inline">{label}</span>
      {badge !== undefined && <span className="ml-auto hidden lg:inline-flex">{badge}</span>}
    </NavLink>
  );
}

/**
 * The signed-in shell: narrow sidebar + the page, under the reconnect banner when a channel
 * needs it. Owns the realtime connection's lifetime, and shows what it keeps live across
 * pages: the unread count (in the nav and the tab's title) and the user's own presence.
 */
export function AppLayout() {
  const status = useRealtimeConnection();
  const canOperate = useCan("operations:manage") === true;
  const canReport = useCan("reports:read") === true;
  const unread = useUnreadSummary();
  const totalUnread = unread === undefined ? undefined : unreadIn(unread, "total");
  useUnreadTitle(totalUnread);
  return (
    <div className="flex h-full min-h-0">
      <aside className="flex w-16 shrink-0 flex-col bg-sidebar py-4 text-sidebar-foreground lg:w-64">
        <div className="flex items-center gap-2.5 px-4 pb-6">
          <span className="flex size-8 shrink-0 items-center justify-center rounded-lg bg-primary text-primary-foreground">
            <MessagesSquare className="size-4.5" aria-hidden />
          </span>
          <span className="hidden text-lg font-semibold tracking-tight text-white lg:inline">Parley</span>
        </div>
        <nav className="flex flex-col gap-1 px-2" aria-label="Main">
          <NavItem
            to="/inbox"
            label="Inbox"
            icon={Inbox}
            testId="nav-inbox"
            badge={totalUnread === undefined || totalUnread.count === 0 ? undefined : <UnreadCountBadge unread={totalUnread} />}
          />
          <NavItem to="/channels" label="Channels" icon={Plug} testId="nav-channels" />
          <NavItem to="/settings" label="Settings" icon={Settings} testId="nav-settings" />
          {canReport && <NavItem to="/reports" label="Reports" icon={BarChart3} testId="nav-reports" />}
          {canOperate && <NavItem to="/operations" label="Operations" icon={Activity} testId="nav-operations" />}
        </nav>
        <div className="mt-auto flex flex-col gap-3 px-2">
          <ConnectionStatus status={status} />
          <UserMenu connection={status} />
        </div>
      </aside>
      <main className="flex min-w-0 flex-1 flex-col">
        <ReauthBanner />
        <div className="min-h-0 flex-1">
          <Outlet />
        </div>
      </main>
    </div>
  );
}
