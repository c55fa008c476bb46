import { ListFilter, X } from "lucide-react";
import { useId, type ReactNode } from "react";

import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import type { LabelUsage, TeamMember } from "@/lib/api/types";
import type { ConversationFilters, ConversationStatusFilter, ConversationWindowFilter } from "@/lib/query-keys";
import { cn } from "@/lib/utils";

import { memberName } from "../api/get-team-members";
import { activeRefinements, STATUS_LABEL, STATUSES, WINDOW_FILTER_LABEL } from "../utils/inbox-filters";

import type { FiltersUpdate } from "../hooks/use-inbox-filters";

type SetFilters = (update: FiltersUpdate) => void;

/** Open / Pending / Snoozed / Resolved / All. */
export function StatusTabs({ filters, onChange }: { filters: ConversationFilters; onChange: SetFilters }) {
  const options: Array<[ConversationStatusFilter | null, string]> = [
    ...STATUSES.map((status): [ConversationStatusFilter, string] => [status, STATUS_LABEL[status]]),
    [null, "All"],
  ];
  return (
    <div
      role="group"
      aria-label="Status"
      data-testid="status-tabs"
      className="flex gap-0.5 overflow-x-auto rounded-lg bg-muted p-0.5 [scrollbar-width:none]"
    >
      {options.map(([status, label]) => {
        const active = filters.status === status;
        return (
          <button
            key={label}
            type="button"
            aria-pressed={active}
            data-status={status ?? "all"}
            onClick={() => onChange({ status })}
            className={cn(
              "h-7 flex-1 rounded-md px-2 text-xs font-medium whitespace-nowrap text-muted-foreground outline-none transition-colors hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring",
              active && "bg-background text-foreground shadow-xs",
            )}
          >
            {label}
          </button>
        );
      })}
    </div>
  );
}

const selectClass =
  "h-9 w-full rounded-md border border-input bg-background px-2 text-sm shadow-xs outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40";

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="grid gap-1.5">
      <label htmlFor={id} className="text-xs font-medium text-muted-foreground">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

export interface FilterMenuProps {
  filters: ConversationFilters;
  onChange: SetFilters;
  members: readonly TeamMember[];
  labels: readonly LabelUsage[];
}

/** Assignee, label, window state and unread only, in a popover behind one button. */
export function FilterMenu({ filters, onChange, members, labels }: FilterMenuProps) {
  const active = activeRefinements(filters);
  const assignable = members.filter((m) => m.role !== "viewer" || m.id === filters.assigneeId);
  const labelNames = labels.map((l) => l.name);
  if (filters.label !== null && !labelNames.includes(filters.label)) labelNames.unshift(filters.label);
  return (
    <Popover>
      <PopoverTrigger asChild>
        <Button
          variant="ghost"
          size="icon"
          data-testid="filter-menu"
          className={cn("relative size-8", active > 0 && "text-primary")}
          aria-label={active > 0 ? `Filters (${active} active)` : "Filters"}
          title="Filters"
        >
          <ListFilter aria-hidden />
          {active > 0 && (
            <span className="absolute -top-0.5 -right-0.5 flex size-4 items-center justify-center rounded-full bg-primary text-[10px] font-semibold text-primary-foreground">
              {active}
            </span>
          )}
        </Button>
      </PopoverTrigger>
      <PopoverContent align="end" className="grid w-[min(18rem,calc(100vw-5rem))] gap-3" aria-label="Filters">
        <Field label="Assignee">
          {(id) => (
            <select
              id={id}
              data-testid="filter-assignee"
              className={selectClass}
              value={filters.assigneeId ?? ""}
              onChange={(event) => onChange({ assigneeId: event.target.value || null })}
            >
              <option value="">Anyone</option>
              {assignable.map((member) => (
                <option key={member.id} value={member.id}>
                  {memberName(member)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Label">
          {(id) => (
            <select
              id={id}
              data-testid="filter-label"
              className={selectClass}
              value={filters.label ?? ""}
              onChange={(event) => onChange({ label: event.target.value || null })}
            >
              <option value="">Any label</option>
              {labelNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Messaging window">
          {(id) => (
            <select
              id={id}
              data-testid="filter-window"
              className={selectClass}
              value={filters.window ?? ""}
              onChange={(event) =>
                onChange({ window: (event.target.value || null) as ConversationWindowFilter | null })
              }
            >
              <option value="">Any</option>
              {(Object.keys(WINDOW_FILTER_LABEL) as ConversationWindowFilter[]).map((window) => (
                <option key={window} value={window}>
                  {WINDOW_FILTER_LABEL[window]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="flex items-center gap-2 text-sm">
          <Checkbox
            data-testid="filter-unread"
            checked={filters.unread}
            onCheckedChange={(checked) => onChange({ unread: checked })}
          />
          Unread only
        </label>
        {active > 0 && (
          <Button
            variant="outline"
            size="sm"
            onClick={() => onChange({ assigneeId: null, label: null, window: null, unread: false })}
          >
            Clear filters
          </Button>
        )}
      </PopoverContent>
    </Popover>
  );
}

function Chip({ children, onRemove, label }: { children: ReactNode; onRemove: () => void; label: string }) {
  return (
    <span className="inline-flex h-6 max-w-full items-center gap-1 rounded-full border bg-background pr-0.5 pl-2 text-xs">
      <span className="truncate">{children}</span>
      <button
        type="button"
        aria-label={`Remove filter: ${label}`}
        onClick={onRemove}
        className="flex size-5 items-center justify-center rounded-full text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
      >
        <X className="size-3" aria-hidden />
      </button>
    </span>
  );
}

/** The refinements in force, each removable (so an empty list is never a mystery). */
export function ActiveFilters({
  filters,
  onChange,
  members,
}: {
  filters: ConversationFilters;
  onChange: SetFilters;
  members: ReadonlyMap<string, TeamMember>;
}) {
  const chips: Array<{ key: string; text: string; clear: Partial<ConversationFilters> }> = [];
  if (filters.assigneeId !== null) {
    const member = members.get(filters.assigneeId);
    chips.push({
      key: "assignee",
      text: `Assignee: ${member === undefined ? "someone" : memberName(member)}`,
      clear: { assigneeId: null },
    });
  }
  if (filters.label !== null) chips.push({ key: "label", text: `Label: ${filters.label}`, clear: { label: null } });
  // "Expiring soon" has its own folder entry; other window states show here.
  if (filters.window !== null && filters.window !== "expiring") {
    chips.push({ key: "window", text: WINDOW_FILTER_LABEL[filters.window], clear: { window: null } });
  }
  if (filters.unread) chips.push({ key: "unread", text: "Unread", clear: { unread: false } });
  if (chips.length === 0) return null;
  return (
    <div data-testid="active-filters" className="flex flex-wrap items-center gap-1.5">
      {chips.map((chip) => (
        <Chip key={chip.key} label={chip.text} onRemove={() => onChange(chip.clear)}>
          {chip.text}
        </Chip>
      ))}
    </div>
  );
}
