import { ShieldAlert } from "lucide-react";

import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { ApiKeysManager } from "@/features/api-keys/components/api-keys-manager";
import { useCan } from "@/features/auth/hooks/use-can";

/** Owners and admins manage the integrators' keys (the API refuses everyone else). */
export function ApiKeysRoute() {
  const allowed = useCan("api_keys:manage");
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
        title="API keys are for owners and admins"
        description="Ask an owner or admin of this workspace if an integration needs a key."
      />
    );
  }
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-4xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">API keys</h1>
          <p className="text-sm text-muted-foreground">
            Keys let your own software use Parley&apos;s REST API for this workspace. Each key carries a role; revoke one to cut it off at once.
          </p>
        </div>
        <ApiKeysManager />
      </div>
    </div>
  );
}
