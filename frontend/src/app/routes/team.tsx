import { SettingsPage } from "@/components/settings-page";
import { TeamManager } from "@/features/team/components/team-manager";

export function TeamRoute() {
  return (
    <SettingsPage title="Team" description="Everyone who works in this workspace, and what their role lets them do.">
      <TeamManager />
    </SettingsPage>
  );
}
