import { Users } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm-dialog";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useMe } from "@/features/auth/api/get-me";
import { useCan } from "@/features/auth/hooks/use-can";
import { memberName } from "@/features/inbox/api/get-team-members";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api/errors";
import type { Role, TeamMember } from "@/lib/api/types";
import { clearTokens } from "@/lib/auth";
import { agoLabel } from "@/utils/format";

import { useChangeRole, useMembers, useRemoveMember } from "../api/team";
import { grantableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS, roleBadgeVariant } from "../utils/roles";
import { SELECT_CLASS } from "../utils/select";

import { InviteDialog } from "./invite-dialog";
import { PendingInvitations } from "./pending-invitations";
import { TransferOwnership } from "./transfer-ownership";

interface Abilities {
  canManage: boolean;
  canOwn: boolean;
  meId: string | undefined;
}

/** What the caller may do to this member (the server enforces the same rules). */
function allowed(member: TeamMember, { canManage, canOwn, meId }: Abilities) {
  const isMe = member.id === meId;
  const touchesOwner = member.role === "owner";
  if (!canManage || (touchesOwner && !canOwn)) return { changeRole: false, remove: false };
  // Your own role only changes when you are an owner stepping down.
  return { changeRole: !isMe || touchesOwner, remove: true };
}

function RemoveMember({ member, isMe, onError }: { member: TeamMember; isMe: boolean; onError: (error: unknown) => void }) {
  const [open, setOpen] = useState(false);
  const remove = useRemoveMember();
  const name = memberName(member);
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <Button variant="ghost" size="sm" data-testid={`member-remove-${member.email}`}>
          {isMe ? "Leave" : "Remove"}
        </Button>
      }
      title={isMe ? "Leave this workspace?" : `Remove ${name}?`}
      description={
        isMe
          ? "You are signed out at once and can only come back with a new invitation."
          : `${name} is signed out at once and can only come back with a new invitation. Their messages and notes stay.`
      }
      confirmLabel={isMe ? "Leave" : "Remove"}
      onConfirm={() => {
        // Closes at once: a failure shows above the members table.
        setOpen(false);
        remove.mutate(member.id, {
          onSuccess: () => {
            if (isMe) clearTokens(); // the account is gone: back to the sign-in page
          },
          onError,
        });
      }}
      confirmTestId="member-remove-confirm"
    />
  );
}

function RoleCell({ member, editable, canOwn, onError }: { member: TeamMember; editable: boolean; canOwn: boolean; onError: (error: unknown) => void }) {
  const change = useChangeRole();
  if (!editable) {
    return (
      <Badge variant={roleBadgeVariant(member.role)} title={ROLE_DESCRIPTIONS[member.role]} data-testid={`member-role-${member.email}`}>
        {ROLE_LABELS[member.role]}
      </Badge>
    );
  }
  return (
    <div className="flex items-center gap-2">
      <select
        aria-label={`Role of ${memberName(member)}`}
        value={member.role}
        disabled={change.isPending}
        onChange={(e) => change.mutate({ userId: member.id, role: e.target.value as Role }, { onError })}
        className={SELECT_CLASS}
        data-testid={`member-role-select-${member.email}`}
      >
        {grantableRoles(canOwn).map((role) => (
          <option key={role} value={role}>
            {ROLE_LABELS[role]}
          </option>
        ))}
      </select>
      {change.isPending && <Spinner label="Saving role" />}
    </div>
  );
}

function MemberRow({ member, abilities, now, onError }: { member: TeamMember; abilities: Abilities; now: number; onError: (error: unknown) => void }) {
  const isMe = member.id === abilities.meId;
  const may = allowed(member, abilities);
  return (
    <tr className="border-b last:border-b-0" data-testid={`member-row-${member.email}`}>
      <td className="px-4 py-3">
        <div className="flex min-w-0 items-center gap-2">
          <span className="truncate text-sm font-medium">{member.name?.trim() || member.email}</span>
          {isMe && <Badge variant="outline">You</Badge>}
        </div>
        <div className="truncate text-xs text-muted-foreground">{member.email}</div>
      </td>
      <td className="px-4 py-3">
        <RoleCell member={member} editable={may.changeRole} canOwn={abilities.canOwn} onError={onError} />
      </td>
      <td className="px-4 py-3 text-sm whitespace-nowrap text-muted-foreground" data-testid="member-last-sign-in">
        {member.last_login_at === null ? "Never" : agoLabel(member.last_login_at, now)}
      </td>
      <td className="px-4 py-3 text-right">{may.remove && <RemoveMember member={member} isMe={isMe} onError={onError} />}</td>
    </tr>
  );
}

/** The team settings page: members with their roles, invitations, ownership. */
export function TeamManager() {
  const me = useMe();
  const members = useMembers();
  const canManage = useCan("team:manage") === true;
  const canOwn = useCan("tenant:own") === true;
  const now = useNow();
  const [error, setError] = useState<unknown>(null);
  const abilities: Abilities = { canManage, canOwn, meId: me.data?.id };

  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-muted-foreground">
          {canManage ? "Invite people, change what they may do, or remove them." : "Only owners and admins can invite people or change roles."}
        </p>
        <div className="flex gap-2">
          {canOwn && members.data !== undefined && me.data !== undefined && <TransferOwnership members={members.data} meId={me.data.id} />}
          {canManage && <InviteDialog canOwn={canOwn} />}
        </div>
      </div>
      {error !== null && (
        <Alert variant="destructive" data-testid="team-error">
          <AlertDescription className="flex items-center justify-between gap-2">
            {errorMessage(error)}
            <Button variant="ghost" size="sm" onClick={() => setError(null)}>
              Dismiss
            </Button>
          </AlertDescription>
        </Alert>
      )}
      <Card className="gap-0 overflow-x-auto py-0">
        {members.isPending ? (
          <div className="flex justify-center p-6">
            <Spinner label="Loading members" />
          </div>
        ) : members.isError ? (
          <Alert variant="destructive" className="m-4 w-auto">
            <AlertDescription>{errorMessage(members.error)}</AlertDescription>
          </Alert>
        ) : members.data.length === 0 ? (
          <EmptyState icon={Users} title="No members" />
        ) : (
          <table className="w-full text-left" data-testid="members-table">
            <thead className="border-b bg-muted/40 text-xs font-medium text-muted-foreground">
              <tr>
                <th className="px-4 py-2 font-medium">Member</th>
                <th className="px-4 py-2 font-medium">Role</th>
                <th className="px-4 py-2 font-medium">Last sign-in</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((member) => (
                <MemberRow key={member.id} member={member} abilities={abilities} now={now} onError={setError} />
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {canManage && <PendingInvitations />}
    </div>
  );
}
