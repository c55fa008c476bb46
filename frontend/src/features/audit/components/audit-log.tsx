import { ChevronRight, RefreshCw, ScrollText } from "lucide-react";
import { Fragment, useMemo, type KeyboardEvent } from "react";

import { LoadError } from "@/components/load-error";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { memberName, useTeamMemberMap } from "@/features/inbox/api/get-team-members";

import { useToggleSet } from "@/hooks/use-toggle-set";
import type { AuditLogEntry, TeamMember } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { dateTimeLabel } from "@/utils/format";
import { uniqueItems } from "@/utils/pages";

import { useAuditLogs } from "../api/get-audit-logs";
import { actionLabel, actorLabel, detailValue, groupLabel, actionGroup, targetLabel } from "../utils/actions";
import { filtersOf, isFiltered, rangeIsBackwards, type AuditLogView } from "../utils/filters";
import { AuditFilters } from "./audit-filters";

const ACTOR_KIND: Record<string, string> = { api_key: "API key", system: "System", anonymous: "Not signed in" };

function Field({ label, children }: { label: string; children: string }) {
  return (
    <div className="grid min-w-0 grid-cols-[9rem_1fr] gap-2 text-xs">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 font-mono break-words text-foreground">{children}</dd>
    </div>
  );
}

function EntryDetails({ entry }: { entry: AuditLogEntry }) {
  const details = Object.entries(entry.details);
  return (
    <dl className="grid gap-1.5">
      <Field label="Time">{new Date(entry.created_at).toLocaleString()}</Field>
      {details.map(([key, value]) => (
        <Field key={key} label={key.replace(/_/g, " ")}>
          {key === "changes" && value !== null && typeof value === "object"
            ? Object.entries(value as Record<string, unknown>)
                .map(([field, change]) => `${field.replace(/_/g, " ")}: ${detailValue(change)}`)
                .join("; ")
            : detailValue(value)}
        </Field>
      ))}
      {entry.target !== null && (
        <Field label={`Target (${entry.target.type.replace(/_/g, " ")})`}>{entry.target.id ?? "—"}</Field>
      )}
      {entry.actor.user_id !== null && <Field label="Actor user id">{entry.actor.user_id}</Field>}
      {entry.actor.api_key_id !== null && <Field label="Actor API key id">{entry.actor.api_key_id}</Field>}
      <Field label="IP address">{entry.ip ?? "—"}</Field>
      <Field label="User agent">{entry.user_agent ?? "—"}</Field>
    </dl>
  );
}

function EntryRow({
  entry,
  member,
  expanded,
  onToggle,
}: {
  entry: AuditLogEntry;
  member: TeamMember | undefined;
  expanded: boolean;
  onToggle: () => void;
}) {
  const detailsId = `audit-details-${entry.id}`;
  const target = targetLabel(entry);
  const kind = ACTOR_KIND[entry.actor.type];
  const failed = entry.action === "auth.login_failed" || entry.action === "auth.login_locked" || entry.action === "auth.refresh_token_reused";
  const onKeyDown = (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.target === e.currentTarget && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      onToggle();
    }
  };
  return (
    <Fragment>
      <tr
        data-testid="audit-row"
        data-action={entry.action}
        data-entry-id={entry.id}
        aria-expanded={expanded}
        aria-controls={detailsId}
        tabIndex={0}
        onClick={onToggle}
        onKeyDown={onKeyDown}
        className={cn(
          "cursor-pointer border-b align-middle transition-colors hover:bg-muted/40 focus-visible:bg-muted/60 focus-visible:outline-none",
          expanded && "border-b-0 bg-muted/30",
        )}
      >
        <td className="py-2 pr-1 pl-3">
          <ChevronRight className={cn("size-4 text-muted-foreground transition-transform", expanded && "rotate-90")} aria-hidden />
        </td>
        <td className="px-2 py-2 whitespace-nowrap tabular-nums" title={entry.created_at}>
          {dateTimeLabel(entry.created_at)}
        </td>
        <td className="max-w-56 px-2 py-2" data-testid="audit-actor">
          <span className="flex min-w-0 items-center gap-1.5">
            <span className="truncate">{actorLabel(entry, member === undefined ? undefined : memberName(member))}</span>
            {kind !== undefined && (
              <Badge variant="secondary" className="shrink-0">
                {kind}
              </Badge>
            )}
          </span>
        </td>
        <td className="px-2 py-2" data-testid="audit-action">
          <span className={cn("font-medium", failed && "text-destructive")} title={entry.action}>
            {actionLabel(entry.action)}
          </span>
          <span className="block text-xs text-muted-foreground">{groupLabel(actionGroup(entry.action))}</span>
        </td>
        <td className="max-w-64 truncate px-2 py-2" data-testid="audit-target" title={target ?? undefined}>
          {target ?? <span className="text-muted-foreground">—</span>}
        </td>
        <td className="px-2 py-2 pr-3 font-mono text-xs whitespace-nowrap text-muted-foreground" data-testid="audit-ip">
          {entry.ip ?? "—"}
        </td>
      </tr>
      {expanded && (
        <tr id={detailsId} data-testid="audit-details" className="border-b bg-muted/30">
          <td />
          <td colSpan={5} className="px-2 pt-1 pb-4">
            <EntryDetails entry={entry} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/** Who did what to what, when and from where: filter, page back in time, open an entry. */
export function AuditLog({ view, onViewChange }: { view: AuditLogView; onViewChange: (view: AuditLogView) => void }) {
  const backwards = rangeIsBackwards(view);
  const filters = useMemo(() => filtersOf(view), [view]);
  const query = useAuditLogs(filters, { enabled: !backwards });
  const members = useTeamMemberMap();
  const [expanded, toggle] = useToggleSet();

  const entries = useMemo(() => uniqueItems(query.data?.pages), [query.data]);

  let body;
  if (backwards) {
    body = (
      <div className="p-4">
        <Alert variant="destructive" data-testid="audit-range-error">
          <AlertDescription>The start date is after the end date.</AlertDescription>
        </Alert>
      </div>
    );
  } else if (query.isPending) {
    body = (
      <div className="flex justify-center py-12">
        <Spinner className="size-5" label="Loading the audit log" />
      </div>
    );
  } else if (query.isError && entries.length === 0) {
    body = (
      <div className="p-4">
        <LoadError error={query.error} onRetry={() => void query.refetch()} testId="audit-error" />
      </div>
    );
  } else if (entries.length === 0) {
    body = (
      <EmptyState
        icon={ScrollText}
        title="No entries"
        description={isFiltered(view) ? "Nothing in the log matches these filters." : "Sign-ins, team and channel changes will show up here."}
      />
    );
  } else {
    body = (
      <div className="overflow-x-auto">
        <table data-testid="audit-list" className="w-full min-w-[48rem] text-sm">
          <thead>
            <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">
              <th scope="col" className="w-8 py-2 pr-1 pl-3">
                <span className="sr-only">Details</span>
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Time
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Actor
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Action
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Target
              </th>
              <th scope="col" className="px-2 py-2 pr-3 font-medium">
                IP address
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <EntryRow
                key={entry.id}
                entry={entry}
                member={entry.actor.user_id === null ? undefined : members.get(entry.actor.user_id)}
                expanded={expanded.has(entry.id)}
                onToggle={() => toggle(entry.id)}
              />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <section aria-label="Audit log" className="grid gap-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <AuditFilters view={view} onChange={onViewChange} />
        <Button
          variant="ghost"
          size="icon"
          className="size-8"
          title="Refresh"
          aria-label="Refresh the audit log"
          disabled={query.isFetching || backwards}
          onClick={() => void query.refetch()}
        >
          <RefreshCw className={cn("size-4", query.isFetching && !query.isPending && "animate-spin")} aria-hidden />
        </Button>
      </div>
      <div className="overflow-hidden rounded-xl border bg-card shadow-xs">
        {body}
        {!backwards && query.hasNextPage && (
          <div className="flex justify-center border-t p-3">
            <Button
              variant="outline"
              size="sm"
              data-testid="audit-load-more"
              disabled={query.isFetchingNextPage}
              onClick={() => void query.fetchNextPage()}
            >
              {query.isFetchingNextPage && <Spinner />}
              Load more
            </Button>
          </div>
        )}
      </div>
    </section>
  );
}
