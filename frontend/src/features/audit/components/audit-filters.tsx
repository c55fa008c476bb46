import { X } from "lucide-react";
import { useId } from "react";

import { DateRangeFields, FILTER_CONTROL, FilterField } from "@/components/filter-field";
import { Button } from "@/components/ui/button";
import { memberName, useTeamMembers } from "@/features/inbox/api/get-team-members";

import { useAuditActions } from "../api/get-audit-logs";
import { actionLabel, groupActions } from "../utils/actions";
import { EMPTY_VIEW, isFiltered, type AuditLogView } from "../utils/filters";

function orNull(value: string): string | null {
  return value === "" ? null : value;
}

/** Action (one, or a whole area), actor (a member or a kind of actor) and a range of days. */
export function AuditFilters({ view, onChange }: { view: AuditLogView; onChange: (view: AuditLogView) => void }) {
  const actions = useAuditActions().data ?? [];
  const members = useTeamMembers().data ?? [];
  const ids = { action: useId(), actor: useId() };
  const groups = groupActions(actions);

  return (
    <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Filters">
      <FilterField id={ids.action} label="Action">
        <select
          id={ids.action}
          data-testid="audit-filter-action"
          value={view.action ?? ""}
          onChange={(e) => onChange({ ...view, action: orNull(e.target.value) })}
          className={FILTER_CONTROL}
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
      </FilterField>
      <FilterField id={ids.actor} label="Actor">
        <select
          id={ids.actor}
          data-testid="audit-filter-actor"
          value={view.actor ?? ""}
          onChange={(e) => onChange({ ...view, actor: orNull(e.target.value) })}
          className={FILTER_CONTROL}
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
      </FilterField>
      <DateRangeFields
        value={{ from: view.from ?? "", to: view.to ?? "" }}
        onChange={({ from, to }) => onChange({ ...view, from: orNull(from), to: orNull(to) })}
        testIds={{ from: "audit-filter-from", to: "audit-filter-to" }}
      />
      {isFiltered(view) && (
        <Button variant="ghost" size="sm" className="h-8" data-testid="audit-filter-clear" onClick={() => onChange(EMPTY_VIEW)}>
          <X aria-hidden />
          Clear
        </Button>
      )}
    </div>
  );
}
