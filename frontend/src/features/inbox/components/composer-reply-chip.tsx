import { Reply, X } from "lucide-react";

import type { Message } from "@/lib/api/types";

import { messageSummary } from "../utils/message-content";

/** "Replying to …" above the composer, with a button to stop quoting. */
export function ComposerReplyChip({
  message,
  contactName,
  onCancel,
}: {
  message: Message;
  contactName: string | null;
  onCancel: () => void;
}) {
  const author = message.direction === "inbound" ? (contactName ?? "Customer") : "You";
  return (
    <div
      data-testid="composer-reply-chip"
      data-reply-to-id={message.id}
      className="mx-1 mb-1 flex items-start gap-2 rounded-md border-l-[3px] border-l-primary bg-muted px-2 py-1.5"
    >
      <Reply className="mt-0.5 size-3.5 shrink-0 text-muted-foreground" aria-hidden />
      <div className="min-w-0 flex-1">
        <p className="text-xs font-semibold">Replying to {author}</p>
        <p className="truncate text-xs text-muted-foreground">{messageSummary(message.type, message.text)}</p>
      </div>
      <button
        type="button"
        onClick={onCancel}
        aria-label="Cancel reply"
        data-testid="composer-reply-cancel"
        className="rounded-sm p-0.5 text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
      >
        <X className="size-3.5" aria-hidden />
      </button>
    </div>
  );
}
