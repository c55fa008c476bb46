import { Check, CheckCheck, Clock, TriangleAlert } from "lucide-react";

import type { MessageStatus } from "@/lib/api/types";
import { cn } from "@/lib/utils";

const LABEL: Record<MessageStatus, string> = {
  received: "Received",
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Failed",
};

/** Ticks for an outbound message: clock, ✓, ✓✓, blue ✓✓, or a red failure mark. */
export function MessageStatusIcon({ status, className }: { status: MessageStatus; className?: string }) {
  const common = { "aria-label": LABEL[status], role: "img", "data-testid": "message-status" } as const;
  switch (status) {
    case "queued":
    case "sending":
      return <Clock {...common} className={cn("size-3.5", className)} />;
    case "sent":
      return <Check {...common} className={cn("size-3.5", className)} />;
    case "delivered":
      return <CheckCheck {...common} className={cn("size-3.5", className)} />;
    case "read":
      return <CheckCheck {...common} className={cn("size-3.5 text-cyan-300", className)} />;
    case "failed":
      return <TriangleAlert {...common} className={cn("size-3.5 text-red-200", className)} />;
    default:
      return null;
  }
}
