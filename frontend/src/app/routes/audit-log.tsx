import { ShieldAlert } from "lucide-react";
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useCan } from "@/features/auth/hooks/use-can";
import { AuditLog } from "@/features/audit/components/audit-log";
import type { AuditLogView } from "@/features/audit/utils/filters";

/** The filters live in the URL (`?action=team.&actor=user:…&from=…&to=…`): a view can be shared. */
function useAuditView(): [AuditLogView, (view: AuditLogView) => void] {
  const [params, setParams] = useSearchParams();
  const action = params.get("action") || null;
  const actor = params.get("actor") || null;
  const from = params.get("from") || null;
  const to = params.get("to") || null;
  const view = useMemo<AuditLogView>(() => ({ action, actor, from, to }), [action, actor, from, to]);
  const setView = useCallback(
    (next: AuditLogView) => {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(next)) if (value !== null) search.set(key, value as string);
      setParams(search, { replace: true });
    },
    [setParams],
  );
  return [view, setView];
}

function AuditLogPage() {
  const [view, setView] = useAuditView();
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-6xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
          <p className="text-sm text-muted-foreground">
            Sign-ins, team, channel, API key and webhook changes, exports and deletions: who, when, from where. Click an entry for its
            details.
          </p>
        </div>
        <AuditLog view={view} onViewChange={setView} />
      </div>
    </div>
  );
}

/** Owners and admins read the audit log (the API refuses everyone else). */
export function AuditLogRoute() {
  const allowed = useCan("audit:read");
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
        title="The audit log is for owners and admins"
        description="Ask an owner or admin of this workspace if you need to know who changed what."
      />
    );
  }
  return <AuditLogPage />;
}
