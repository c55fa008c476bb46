import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { AuditLogPage, AuditLogQuery } from "@/lib/api/types";
import { auditKeys, type AuditLogFilters } from "@/lib/query-keys";

const PAGE_SIZE = 50;

function query(filters: AuditLogFilters, cursor: string | null): AuditLogQuery {
  return {
    limit: PAGE_SIZE,
    ...(filters.action === null ? {} : { action: filters.action }),
    ...(filters.actorUserId === null ? {} : { actor_user_id: filters.actorUserId }),
    ...(filters.actorType === null ? {} : { actor_type: filters.actorType }),
    ...(filters.since === null ? {} : { since: filters.since }),
    ...(filters.until === null ? {} : { until: filters.until }),
    ...(cursor === null ? {} : { cursor }),
  };
}

export function getAuditLogs(filters: AuditLogFilters, cursor: string | null): Promise<AuditLogPage> {
  return unwrap(apiClient.GET("/api/audit-logs", { params: { query: query(filters, cursor) } }));
}

/** Newest first; each next page is older. */
export const auditLogsQueryOptions = (filters: AuditLogFilters) =>
  infiniteQueryOptions({
    queryKey: auditKeys.list(filters),
    queryFn: ({ pageParam }) => getAuditLogs(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });

/** `enabled: false` while the filters cannot be asked for (a range that ends before it starts). */
export function useAuditLogs(filters: AuditLogFilters, { enabled = true }: { enabled?: boolean } = {}) {
  return useInfiniteQuery({ ...auditLogsQueryOptions(filters), enabled });
}

export function getAuditActions(): Promise<string[]> {
  return unwrap(apiClient.GET("/api/audit-logs/actions"));
}

/** Every action name the log can hold (for the filter menu); they change only with a deploy. */
export function useAuditActions() {
  return useQuery(queryOptions({ queryKey: auditKeys.actions(), queryFn: getAuditActions, staleTime: Infinity }));
}
