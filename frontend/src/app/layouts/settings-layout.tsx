import { NavLink, Outlet } from "react-router";

import { useCan } from "@/features/auth/hooks/use-can";
import type { Permission } from "@/lib/api/types";
import { cn } from "@/lib/utils";

interface SettingsPage {
  to: string;
  label: string;
  testId: string;
  /** Shown only to roles with this permission (undefined: every member). */
  permission?: Permission;
}

const SETTINGS_PAGES: SettingsPage[] = [
  { to: "/settings/saved-replies", label: "Saved replies", testId: "settings-nav-saved-replies" },
  { to: "/settings/team", label: "Team", testId: "settings-nav-team" },
  { to: "/settings/api-keys", label: "API keys", testId: "settings-nav-api-keys", permission: "api_keys:manage" },
  { to: "/settings/webhooks", label: "Webhooks", testId: "settings-nav-webhooks", permission: "webhooks:manage" },
  { to: "/settings/audit-log", label: "Audit log", testId: "settings-nav-audit-log", permission: "audit:read" },
  { to: "/settings/data", label: "Data & privacy", testId: "settings-nav-data", permission: "conversations:delete" },
];

function SettingsLink({ page }: { page: SettingsPage }) {
  const allowed = useCan(page.permission ?? "workspace:read");
  if (allowed !== true) return null;
  return (
    <NavLink
      to={page.to}
      data-testid={page.testId}
      className={({ isActive }) =>
        cn(
          "shrink-0 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap text-muted-foreground transition-colors hover:bg-muted hover:text-foreground",
          isActive && "bg-muted text-foreground",
        )
      }
    >
      {page.label}
    </NavLink>
  );
}

/** Settings: a list of pages (a row of tabs on narrow screens), each gated by the role. */
export function SettingsLayout() {
  return (
    <div className="flex h-full min-h-0 flex-col md:flex-row">
      <nav
        aria-label="Settings"
        className="flex shrink-0 gap-1 overflow-x-auto border-b px-3 py-2 md:w-52 md:flex-col md:overflow-visible md:border-r md:border-b-0 md:px-3 md:py-6"
      >
        <p className="hidden px-3 pb-2 text-xs font-semibold tracking-wide text-muted-foreground uppercase md:block">Settings</p>
        {SETTINGS_PAGES.map((page) => (
          <SettingsLink key={page.to} page={page} />
        ))}
      </nav>
      <div className="min-h-0 min-w-0 flex-1">
        <Outlet />
      </div>
    </div>
  );
}
