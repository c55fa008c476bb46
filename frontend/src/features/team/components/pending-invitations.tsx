import { MailPlus } from "lucide-react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { memberName } from "@/features/inbox/api/get-team-members";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import type { Invitation } from "@/lib/api/types";
import { timeUntil } from "@/utils/format";

import { useInvitations, useRevokeInvitation } from "../api/team";
import { ROLE_LABELS, roleBadgeVariant } from "../utils/roles";

function InvitationRow({ invitation, now }: { invitation: Invitation; now: number }) {
  const revoke = useRevokeInvitation();
  const left = timeUntil(invitation.expires_at, now);
  const expired = invitation.expired || left === null;
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3" data-testid={`invitation-row-${invitation.email}`}>
      <div className="grid min-w-0 flex-1 gap-0.5">
        <span className="truncate text-sm font-medium">{invitation.email}</span>
        <span className="text-xs text-muted-foreground">
          {invitation.invited_by !== null ? `Invited by ${memberName(invitation.invited_by)}` : "Invited with an API key"}
        </span>
      </div>
      <Badge variant={roleBadgeVariant(invitation.role)}>{ROLE_LABELS[invitation.role]}</Badge>
      {expired ? (
        <Badge variant="warning" data-testid="invitation-expired">
          Expired: invite again to resend
        </Badge>
      ) : (
        <span className="text-xs text-muted-foreground" data-testid="invitation-expiry">
          Expires in {left}
        </span>
      )}
      <Button
        variant="outline"
        size="sm"
        disabled={revoke.isPending}
        onClick={() => revoke.mutate(invitation.id)}
        data-testid={`invitation-revoke-${invitation.email}`}
      >
        {revoke.isPending && <Spinner label="Revoking" />}
        Revoke
      </Button>
      {revoke.error !== null && <p className="w-full text-xs text-destructive">{errorMessage(revoke.error)}</p>}
    </li>
  );
}

/** Invitations not yet accepted: who, which role, until when; revoke stops a link at once. */
export function PendingInvitations() {
  const invitations = useInvitations(true);
  const now = useNow();
  return (
    <Card className="gap-0 py-0" data-testid="pending-invitations">
      <CardHeader className="border-b py-4">
        <CardTitle className="text-base">Pending invitations</CardTitle>
        <CardDescription>Links not used yet. Revoking one stops it from working.</CardDescription>
      </CardHeader>
      <CardContent className="px-0">
        {invitations.isPending ? (
          <div className="flex justify-center p-6">
            <Spinner label="Loading invitations" />
          </div>
        ) : invitations.isError ? (
          <Alert variant="destructive" className="m-4 w-auto">
            <AlertDescription>{errorMessage(invitations.error)}</AlertDescription>
          </Alert>
        ) : invitations.data.length === 0 ? (
          <EmptyState icon={MailPlus} title="No pending invitations" className="py-8" />
        ) : (
          <ul className="divide-y">
            {invitations.data.map((invitation) => (
              <InvitationRow key={invitation.id} invitation={invitation} now={now} />
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
