import { X } from "lucide-react";
import { useId } from "react";

import { Button } from "@/components/ui/button";
import { memberName, useTeamMembers } from "@/features/inbox/api/get-team-members";

import { useAuditActions } from "../api/get-audit-logs";
import { actionLabel, groupActions } from "../utils/actions";
import { EMPTY_VIEW, isFiltered, type AuditLogView } from "../utils/filters";

const SELECT =
  "h-8 max-w-56 rounded-md border border-input bg-background px-2 text-sm text-foreground shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none";

function orNull(value: string): string | null {
  return value === "" ? null : value;
}

/** Action (one, or a whole area), actor (a member or a kind of actor) and a range of days. */
export function AuditFilters({ view, onChange }: { view: AuditLogView; onChange: (view: AuditLogView) => void }) {
  const actions = useAuditActions().data ?? [];
  const members = useTeamMembers().data ?? [];
  const ids = { action: useId(), actor: useId(), from: useId(), to: useId() };
  const groups = groupActions(actions);

  return (
    <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Filters">
      <div className="grid gap-1">
        <label htmlFor={ids.action} className="text-xs font-medium text-muted-foreground">
          Action
        </label>
        <select
          id={ids.action}
          data-testid="audit-filter-action"
          value={view.action ?? ""}
          onChange={(e) => onChange({ ...view, action: orNull(e.target.value) })}
          className={SELECT}
        >
          <option value="">All actions</option>
          {groups.map((group) => (
            <optgroup key={group.group} label={group.label}>
              {group.actions.length > 1 && <option value={`${group.group}.`}>All {group.label.toLowerCase()}</option>}
              {group.actions.map((action) => (
                <option key={action} value={action}>
                  {actionLabel(action)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div className="grid gap-1">
        <label htmlFor={ids.actor} className="text-xs font-medium text-muted-foreground">
          Actor
        </label>
        <select
          id={ids.actor}
          data-testid="audit-filter-actor"
          value={view.actor ?? ""}
          onChange={(e) => onChange({ ...view, actor: orNull(e.target.value) })}
          className={SELECT}
        >
          <option value="">Anyone</option>
          {members.length > 0 && (
            <optgroup label="Team">
              {members.map((member) => (
                <option key={member.id} value={`user:${member.id}`}>
                  {memberName(member)}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="Other">
            <option value="type:api_key">API keys</option>
            <option value="type:system">Meta and Parley</option>
            <option value="type:anonymous">Not signed in</option>
          </optgroup>
        </select>
      </div>
      <div className="grid gap-1">
        <label htmlFor={ids.from} className="text-xs font-medium text-muted-foreground">
          From
        </label>
        <input
          id={ids.from}
          type="date"
          data-testid="audit-filter-from"
          value={view.from ?? ""}
          max={view.to ?? undefined}
          onChange={(e) => onChange({ ...view, from: orNull(e.target.value) })}
          className={SELECT}
        />
      </div>
      <div className="grid gap-1">
        <label htmlFor={ids.to} className="text-xs font-medium text-muted-foreground">
          To
        </label>
        <input
          id={ids.to}
          type="date"
          data-testid="audit-filter-to"
          value={view.to ?? ""}
          min={view.from ?? undefined}
          onChange={(e) => onChange({ ...view, to: orNull(e.target.value) })}
          className={SELECT}
        />
      </div>
      {isFiltered(view) && (
        <Button variant="ghost" size="sm" className="h-8" data-testid="audit-filter-clear" onClick={() => onChange(EMPTY_VIEW)}>
          <X aria-hidden />
          Clear
        </Button>
      )}
    </div>
  );
}
