import { ShieldAlert } from "lucide-react";
import type { ReactNode } from "react";

import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useCan } from "@/features/auth/hooks/use-can";
import type { Permission } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const WIDTHS = {
  "3xl": "max-w-3xl",
  "4xl": "max-w-4xl",
  "5xl": "max-w-5xl",
  "6xl": "max-w-6xl",
} as const;

interface PageProps {
  title: string;
  description: ReactNode;
  /** How wide the column grows (tables want more room). */
  width?: keyof typeof WIDTHS;
  /** Extra classes for the column, e.g. a wider gap between sections. */
  className?: string;
  children: ReactNode;
}

export interface SettingsPageProps extends PageProps {
  /** When set, only roles with this permission see the page; the others get `denied`. */
  permission?: Permission;
  denied?: { title: string; description: string };
}

function PageShell({ title, description, width = "4xl", className, children }: PageProps) {
  return (
    <div className="h-full overflow-y-auto">
      <div className={cn("mx-auto grid gap-6 px-4 py-8 sm:px-6", WIDTHS[width], className)}>
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="text-sm text-muted-foreground">{description}</p>
        </div>
        {children}
      </div>
    </div>
  );
}

function GatedPage({ permission, denied, ...page }: PageProps & { permission: Permission; denied?: SettingsPageProps["denied"] }) {
  const allowed = useCan(permission);
  if (allowed === undefined) {
    return (
      <div className="flex h-full items-center justify-center">
        <Spinner className="size-6" label="Loading" />
      </div>
    );
  }
  if (!allowed) {
    return (
      <EmptyState
        className="h-full"
        icon={ShieldAlert}
        title={denied?.title ?? `${page.title} is not available to your role`}
        description={denied?.description ?? "Ask an owner or admin of this workspace."}
      />
    );
  }
  return <PageShell {...page} />;
}

/**
 * A settings page: its title and what it is for, then the page's content. With `permission`,
 * roles without it see why instead (the API refuses them anyway); children render only when allowed.
 */
export function SettingsPage({ permission, denied, ...page }: SettingsPageProps) {
  if (permission === undefined) return <PageShell {...page} />;
  return <GatedPage permission={permission} denied={denied} {...page} />;
}
