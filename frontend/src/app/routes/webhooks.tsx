import { ShieldAlert } from "lucide-react";

import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useCan } from "@/features/auth/hooks/use-can";
import { WebhooksManager } from "@/features/webhooks/components/webhooks-manager";

/** Owners and admins manage outgoing webhooks (the API refuses everyone else). */
export function WebhooksRoute() {
  const allowed = useCan("webhooks:manage");
  if (allowed === undefined) {
    return (
      <div className="flex h-full items-center justify-center">
        <Spinner className="size-6" label="Loading" />
      </div>
    );
  }
  if (!allowed) {
    return (
      <EmptyState
        className="h-full"
        icon={ShieldAlert}
        title="Webhooks are for owners and admins"
        description="Ask an owner or admin of this workspace to connect your integration's endpoint."
      />
    );
  }
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-5xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Webhooks</h1>
          <p className="text-sm text-muted-foreground">
            Send new messages and conversation changes to your own systems as they happen. Failed deliveries are retried with backoff
            for about two days; every attempt is in the log below.
          </p>
        </div>
        <WebhooksManager />
      </div>
    </div>
  );
}
