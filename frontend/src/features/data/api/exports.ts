import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ExportDownload, ExportPage, TenantExport } from "@/lib/api/types";
import { auditKeys, exportKeys } from "@/lib/query-keys";

/** While an export is being built the list is also polled (the socket's `export:updated` is faster). */
export const EXPORT_POLL_MS = 2000;

export function isBuilding(item: TenantExport): boolean {
  return item.status === "queued" || item.status === "running";
}

export const exportsQueryOptions = () =>
  queryOptions({
    queryKey: exportKeys.list(),
    queryFn: ({ signal }): Promise<ExportPage> => unwrap(apiClient.GET("/api/tenant/exports", { signal })),
    refetchInterval: (query) => (query.state.data?.items.some(isBuilding) === true ? EXPORT_POLL_MS : false),
  });

/** The workspace's latest data exports, newest first (owners). */
export function useExports() {
  return useQuery(exportsQueryOptions());
}

export function startExport(): Promise<TenantExport> {
  return unwrap(apiClient.POST("/api/tenant/exports"));
}

export function getExportDownload(exportId: string): Promise<ExportDownload> {
  return unwrap(
    apiClient.GET("/api/tenant/exports/{export_id}/download", { params: { path: { export_id: exportId } } }),
  );
}

export function useStartExport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startExport,
    onSuccess: (created) => {
      queryClient.setQueryData<ExportPage>(exportKeys.list(), (data) =>
        data === undefined ? { items: [created], next_cursor: null } : { ...data, items: [created, ...data.items.filter((e) => e.id !== created.id)] },
      );
      void queryClient.invalidateQueries({ queryKey: exportKeys.all });
      void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
    },
  });
}

/** Where a download goes: the browser (a stand-in in tests). */
export const browser = {
  open(url: string): void {
    window.location.assign(url);
  },
};

/** Fetches a short-lived URL of the archive and hands it to the browser, which saves it. */
export function useDownloadExport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: getExportDownload,
    onSuccess: (download) => {
      browser.open(download.url);
      void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
    },
  });
}
