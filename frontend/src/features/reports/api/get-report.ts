import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ReportOverview, ReportQuery } from "@/lib/api/types";
import { reportKeys, type ReportFilters } from "@/lib/query-keys";

function query(filters: ReportFilters): ReportQuery {
  return {
    from: filters.from,
    to: filters.to,
    tz: filters.tz,
    ...(filters.channelId === null ? {} : { channel_id: filters.channelId }),
  };
}

export function getReport(filters: ReportFilters): Promise<ReportOverview> {
  return unwrap(apiClient.GET("/api/reports/overview", { params: { query: query(filters) } }));
}

export const reportQueryOptions = (filters: ReportFilters) =>
  queryOptions({
    queryKey: reportKeys.overview(filters),
    queryFn: () => getReport(filters),
    // Aggregates over days: a minute old is fresh enough, and no refetch storms.
    staleTime: 60_000,
  });

/** The report for `filters` (owners and admins; 403 for anyone else). The previous report
 * stays on screen while another period or channel loads. `enabled: false` while the filters
 * cannot be asked for (a custom range that ends before it starts). */
export function useReport(filters: ReportFilters, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ ...reportQueryOptions(filters), enabled, placeholderData: keepPreviousData });
}
