import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import { SettingsPage } from "@/components/settings-page";
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

function AuditLogBody() {
  const [view, setView] = useAuditView();
  return <AuditLog view={view} onViewChange={setView} />;
}

/** Owners and admins read the audit log (the API refuses everyone else). */
export function AuditLogRoute() {
  return (
    <SettingsPage
      title="Audit log"
      description="Sign-ins, team, channel, API key and webhook changes, exports and deletions: who, when, from where. Click an entry for its details."
      width="6xl"
      permission="audit:read"
      denied={{
        title: "The audit log is for owners and admins",
        description: "Ask an owner or admin of this workspace if you need to know who changed what.",
      }}
    >
      <AuditLogBody />
    </SettingsPage>
  );
}
