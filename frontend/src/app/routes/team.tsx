import { TeamManager } from "@/features/team/components/team-manager";

export function TeamRoute() {
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-4xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Team</h1>
          <p className="text-sm text-muted-foreground">Everyone who works in this workspace, and what their role lets them do.</p>
        </div>
        <TeamManager />
      </div>
    </div>
  );
}
