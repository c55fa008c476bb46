import { SettingsPage } from "@/components/settings-page";
import { WebhooksManager } from "@/features/webhooks/components/webhooks-manager";

/** Owners and admins manage outgoing webhooks (the API refuses everyone else). */
export function WebhooksRoute() {
  return (
    <SettingsPage
      title="Webhooks"
      description="Send new messages and conversation changes to your own systems as they happen. Failed deliveries are retried with backoff for about two days; every attempt is in the log below."
      width="5xl"
      permission="webhooks:manage"
      denied={{
        title: "Webhooks are for owners and admins",
        description: "Ask an owner or admin of this workspace to connect your integration's endpoint.",
      }}
    >
      <WebhooksManager />
    </SettingsPage>
  );
}
