import { Download, FileArchive } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import type { TenantExport } from "@/lib/api/types";
import { formatBytes } from "@/utils/format";

import { isBuilding, useDownloadExport, useExports, useStartExport } from "../api/exports";
import { dateLabel } from "../utils/dates";

const STATUS: Record<TenantExport["status"], { label: string; variant: "outline" | "success" | "destructive" | "warning" }> = {
  queued: { label: "Queued", variant: "outline" },
  running: { label: "Building", variant: "warning" },
  succeeded: { label: "Ready", variant: "success" },
  failed: { label: "Failed", variant: "destructive" },
};

function ExportRow({ item }: { item: TenantExport }) {
  const download = useDownloadExport();
  const status = STATUS[item.status];
  const expired = item.status === "succeeded" && !item.downloadable;
  return (
    <li data-testid="export-row" data-export-id={item.id} className="grid gap-2 px-4 py-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <FileArchive className="size-4 text-muted-foreground" aria-hidden />
        <span className="text-sm font-medium">Export of {dateLabel(item.created_at)}</span>
        <Badge variant={expired ? "outline" : status.variant} data-testid="export-status">
          {expired ? "Expired" : status.label}
        </Badge>
        <span className="ml-auto flex items-center gap-3 text-xs text-muted-foreground">
          {item.size_bytes !== null && <span>{formatBytes(item.size_bytes)}</span>}
          {item.downloadable && item.expires_at !== null && <span>Available until {dateLabel(item.expires_at)}</span>}
          {item.downloadable && (
            <Button
              variant="outline"
              size="sm"
              onClick={() => download.mutate(item.id)}
              disabled={download.isPending}
              data-testid="export-download"
            >
              {download.isPending ? <Spinner label="Preparing the download" /> : <Download aria-hidden />}
              Download
            </Button>
          )}
        </span>
      </div>
      {isBuilding(item) && (
        <div className="flex items-center gap-3">
          <Progress value={item.progress} data-testid="export-progress" aria-label="Export progress" />
          <span className="w-10 shrink-0 text-right text-xs text-muted-foreground tabular-nums">{item.progress}%</span>
        </div>
      )}
      {item.status === "failed" && item.error !== null && <p className="text-xs text-destructive">{item.error}</p>}
      {download.error !== null && (
        <p role="alert" className="text-xs text-destructive">
          {errorMessage(download.error)}
        </p>
      )}
    </li>
  );
}

/** Owners export everything the workspace holds as a ZIP of JSON files, built in the background. */
export function ExportsPanel() {
  const exports = useExports();
  const start = useStartExport();
  const items = exports.data?.items ?? [];
  const building = items.some(isBuilding);
  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3 px-4">
        <p className="max-w-prose text-sm text-muted-foreground">
          Members, channels, contacts, conversations, messages, notes, saved replies, templates and the audit log, as JSON files in one
          ZIP archive. Tokens and passwords are never included. An archive can be downloaded for 7 days.
        </p>
        <Button onClick={() => start.mutate()} disabled={building || start.isPending || exports.isPending} data-testid="export-start">
          {start.isPending && <Spinner className="text-primary-foreground" label="Starting" />}
          {building ? "Export in progress…" : "Export data"}
        </Button>
      </div>
      {start.error !== null && (
        <p role="alert" className="px-4 text-sm text-destructive" data-testid="export-error">
          {errorMessage(start.error)}
        </p>
      )}
      {exports.isPending ? (
        <div className="flex justify-center py-4">
          <Spinner className="size-5" label="Loading exports" />
        </div>
      ) : exports.isError ? (
        <p role="alert" className="px-4 text-sm text-destructive">
          {errorMessage(exports.error)}
        </p>
      ) : items.length === 0 ? (
        <p className="px-4 text-sm text-muted-foreground">No exports yet.</p>
      ) : (
        <ul className="divide-y border-t" data-testid="export-list">
          {items.map((item) => (
            <ExportRow key={item.id} item={item} />
          ))}
        </ul>
      )}
    </div>
  );
}
