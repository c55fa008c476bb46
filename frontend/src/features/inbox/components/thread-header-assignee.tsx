import { UserMinus, UserRound, UserRoundCheck } from "lucide-react";
import type { ComponentProps } from "react";

import { Avatar, AvatarFallback } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import {
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
} from "@/components/ui/dropdown-menu";
import { PresenceDot } from "@/features/realtime/components/presence-dot";
import { PRESENCE_LABEL } from "@/features/realtime/utils/presence";
import type { TeamMember } from "@/lib/api/types";
import { usePresence } from "@/lib/realtime-store";
import { cn } from "@/lib/utils";
import { initials } from "@/utils/format";

import { memberName } from "../api/get-team-members";

const UNASSIGNED = "";

/** Teammates who can take a conversation (viewers are read-only). */
function assignableMembers(members: readonly TeamMember[] | undefined): TeamMember[] {
  return (members ?? []).filter((member) => member.role !== "viewer");
}

/** A teammate's initials, with their online / away / offline dot once that is known. */
export function AssigneeAvatar({ member, className }: { member: TeamMember | undefined; className?: string }) {
  return (
    <span className="relative inline-flex shrink-0">
      <Avatar className={cn("size-5", className)}>
        <AvatarFallback className="bg-primary/15 text-[10px] font-semibold text-primary">
          {member === undefined ? <UserRound className="size-3" aria-hidden /> : initials(memberName(member))}
        </AvatarFallback>
      </Avatar>
      {member !== undefined && <PresenceDot userId={member.id} className="size-1.5 ring-1" />}
    </span>
  );
}

export interface AssigneeMenuItemsProps {
  assigneeId: string | null;
  members: readonly TeamMember[] | undefined;
  meId: string | null;
  onAssign: (assigneeId: string | null) => void;
  loading?: boolean;
}

/** The menu's items: assign to me, unassign, then every teammate who can be assigned. */
export function AssigneeMenuItems({ assigneeId, members, meId, onAssign, loading = false }: AssigneeMenuItemsProps) {
  const assignable = assignableMembers(members);
  const canTakeIt = meId !== null && assigneeId !== meId && assignable.some((m) => m.id === meId);
  return (
    <>
      {canTakeIt && (
        <DropdownMenuItem onSelect={() => onAssign(meId)} data-testid="assign-me">
          <UserRoundCheck aria-hidden />
          Assign to me
        </DropdownMenuItem>
      )}
      {assigneeId !== null && (
        <DropdownMenuItem onSelect={() => onAssign(null)} data-testid="unassign">
          <UserMinus aria-hidden />
          Unassign
        </DropdownMenuItem>
      )}
      {(canTakeIt || assigneeId !== null) && <DropdownMenuSeparator />}
      <DropdownMenuLabel>Team</DropdownMenuLabel>
      {loading && <p className="px-2 py-1.5 text-xs text-muted-foreground">Loading teammates…</p>}
      <DropdownMenuRadioGroup
        value={assigneeId ?? UNASSIGNED}
        onValueChange={(value) => onAssign(value === UNASSIGNED ? null : value)}
      >
        {assignable.map((member) => (
          <DropdownMenuRadioItem key={member.id} value={member.id} data-testid="assignee-option" data-member-id={member.id}>
            <AssigneeAvatar member={member} />
            <span className="truncate">
              {memberName(member)}
              {member.id === meId && <span className="text-muted-foreground"> (you)</span>}
            </span>
          </DropdownMenuRadioItem>
        ))}
      </DropdownMenuRadioGroup>
    </>
  );
}

/** The trigger: who has the conversation. */
export function AssigneeTrigger({ assignee, assigneeId, ...props }: { assignee: TeamMember | undefined; assigneeId: string | null } & ComponentProps<typeof Button>) {
  const name = assignee !== undefined ? memberName(assignee) : assigneeId !== null ? "Assigned" : "Unassigned";
  const presence = usePresence(assignee?.id);
  const status = presence === null ? "" : ` (${PRESENCE_LABEL[presence].toLowerCase()})`;
  return (
    <Button
      variant="ghost"
      size="sm"
      className="h-8 max-w-44 gap-1.5 px-2"
      data-testid="assignee-trigger"
      aria-label={`Assignee: ${name}${status}`}
      {...props}
    >
      <AssigneeAvatar member={assignee} />
      <span className={cn("hidden truncate 2xl:inline", assigneeId === null && "text-muted-foreground")}>{name}</span>
    </Button>
  );
}
