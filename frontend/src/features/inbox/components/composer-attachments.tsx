import { AlertCircle, File as FileIcon, FileAudio, FileImage, FileVideo, X } from "lucide-react";
import { Progress } from "@/components/ui/progress";
import { cn } from "@/lib/utils";
import { formatBytes } from "@/utils/format";

import type { AttachmentTray } from "../hooks/use-attachment-tray";

function KindIcon({ type }: { type: string }) {
  const Icon = type.startsWith("image/") ? FileImage : type.startsWith("video/") ? FileVideo : type.startsWith("audio/") ? FileAudio : FileIcon;
  return <Icon className="size-4 shrink-0 text-muted-foreground" aria-hidden />;
}

/** The staged files: name, size, an upload progress bar (with cancel), or why it failed. */
export function AttachmentTrayView({ tray, disabled = false }: { tray: AttachmentTray; disabled?: boolean }) {
  if (tray.files.length === 0) return null;
  return (
    <ul className="mx-1 mb-1 grid gap-1" aria-label="Attachments" data-testid="composer-attachments">
      {tray.files.map((staged) => {
        const percent = staged.file.size === 0 ? 0 : Math.round((staged.loaded / staged.file.size) * 100);
        return (
          <li
            key={staged.id}
            data-testid="composer-attachment"
            data-state={staged.state}
            className={cn(
              "grid gap-1 rounded-md border px-2 py-1.5 text-xs",
              staged.state === "failed" ? "border-destructive/40 bg-destructive/5" : "bg-muted/50",
            )}
          >
            <div className="flex items-center gap-2">
              {staged.state === "failed" ? (
                <AlertCircle className="size-4 shrink-0 text-destructive" aria-hidden />
              ) : (
                <KindIcon type={staged.file.type} />
              )}
              <span className="min-w-0 flex-1 truncate font-medium" title={staged.file.name}>
                {staged.file.name}
              </span>
              <span className="shrink-0 text-muted-foreground tabular-nums">
                {staged.state === "uploading" ? `${percent}%` : formatBytes(staged.file.size)}
              </span>
              {staged.state === "failed" && staged.retryable && (
                <button
                  type="button"
                  className="shrink-0 font-medium text-primary underline-offset-2 hover:underline"
                  onClick={() => tray.retry(staged.id)}
                  data-testid="composer-attachment-retry"
                >
                  Retry
                </button>
              )}
              <button
                type="button"
                onClick={() => tray.remove(staged.id)}
                disabled={disabled}
                aria-label={staged.state === "uploading" ? `Cancel upload of ${staged.file.name}` : `Remove ${staged.file.name}`}
                data-testid="composer-attachment-remove"
                className="shrink-0 rounded-sm p-0.5 text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none disabled:opacity-50"
              >
                <X className="size-3.5" aria-hidden />
              </button>
            </div>
            {staged.state === "uploading" && (
              <Progress value={percent} aria-label={`Uploading ${staged.file.name}`} className="h-1" data-testid="composer-attachment-progress" />
            )}
            {staged.state === "failed" && staged.error !== null && (
              <p className="text-destructive" data-testid="composer-attachment-error">
                {staged.error}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
