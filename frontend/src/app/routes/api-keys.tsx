import { SettingsPage } from "@/components/settings-page";
import { ApiKeysManager } from "@/features/api-keys/components/api-keys-manager";

/** Owners and admins manage the integrators' keys (the API refuses everyone else). */
export function ApiKeysRoute() {
  return (
    <SettingsPage
      title="API keys"
      description="Keys let your own software use Parley's REST API for this workspace. Each key carries a role; revoke one to cut it off at once."
      permission="api_keys:manage"
      denied={{
        title: "API keys are for owners and admins",
        description: "Ask an owner or admin of this workspace if an integration needs a key.",
      }}
    >
      <ApiKeysManager />
    </SettingsPage>
  );
}
