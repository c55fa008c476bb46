import { AlertCircle, CheckCircle2 } from "lucide-react";

import { Progress } from "@/components/ui/progress";
import type { HistoryImport } from "@/lib/api/types";

function conversations(n: number): string {
  return `${n} ${n === 1 ? "conversation" : "conversations"}`;
}

/** Where the import of a Page's past conversations is: queued, counting up, done, or failed. */
export function HistoryImportStatus({ historyImport }: { historyImport: HistoryImport }) {
  const { status, imported, total, error } = historyImport;
  if (status === "none") return null;
  return (
    <div data-testid="history-import" data-import-status={status} className="grid gap-1.5 text-xs">
      {(status === "queued" || status === "running") && (
        <>
          <p className="text-muted-foreground">
            {status === "queued"
              ? "Conversation import queued…"
              : `Importing conversations… ${imported}${total === null ? "" : ` / ${total}`}`}
          </p>
          <Progress
            value={status === "queued" || total === null ? null : imported}
            max={total ?? 100}
            aria-label="Conversation import progress"
          />
        </>
      )}
      {status === "done" && (
        <p className="flex items-center gap-1.5 text-[oklch(0.45_0.12_150)]">
          <CheckCircle2 className="size-3.5" aria-hidden />
          {imported === 0 ? "No recent conversations to import" : `Imported ${conversations(imported)}`}
        </p>
      )}
      {status === "failed" && (
        <p className="flex items-start gap-1.5 text-destructive">
          <AlertCircle className="mt-px size-3.5 shrink-0" aria-hidden />
          <span>
            Conversation import failed{imported > 0 ? ` after ${conversations(imported)}` : ""}
            {error ? `: ${error}` : "."}
          </span>
        </p>
      )}
    </div>
  );
}
