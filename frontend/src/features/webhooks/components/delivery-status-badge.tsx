import { Badge } from "@/components/ui/badge";

import type { WebhookDeliveryStatus } from "../api/types";

const LOOK: Record<WebhookDeliveryStatus, { label: string; variant: "success" | "destructive" | "warning" }> = {
  succeeded: { label: "Succeeded", variant: "success" },
  failed: { label: "Failed", variant: "destructive" },
  pending: { label: "Pending", variant: "warning" },
};

export function DeliveryStatusBadge({ status }: { status: WebhookDeliveryStatus }) {
  const look = LOOK[status];
  return (
    <Badge variant={look.variant} data-testid="delivery-status" data-status={status}>
      {look.label}
    </Badge>
  );
}
