import { AlarmClock, ArrowLeft, CheckCircle2, EllipsisVertical, Mail, RotateCcw, Tag, Trash2, UserRound, X } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";

import { ChannelIcon } from "@/components/channel-icon";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuSub,
  DropdownMenuSubContent,
  DropdownMenuSubTrigger,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useMe } from "@/features/auth/api/get-me";
import { useCan } from "@/features/auth/hooks/use-can";
import { DeleteConversationDialog } from "@/features/data/components/delete-conversation-dialog";
import { errorMessage } from "@/lib/api/errors";
import type { Conversation, ConversationStatus } from "@/lib/api/types";

import { useTeamMembers } from "../api/get-team-members";
import { useMarkUnread } from "../api/mark-read";
import { useUpdateConversation, type ConversationChanges } from "../api/update-conversation";
import { useInboxListPath } from "../hooks/use-inbox-filters";
import { primaryStatusAction, snoozeUntilLabel } from "../utils/snooze";

import { ContactAvatar } from "./contact-avatar";
import { AssigneeMenuItems, AssigneeTrigger } from "./thread-header-assignee";
import { LabelsControl, LabelsEditor } from "./thread-header-labels";
import { SnoozeDialog, StatusControl, StatusMenuItems, type StatusActions } from "./thread-header-status";
import { WindowBadge } from "./window-badge";

const STATUS_LABEL: Record<ConversationStatus, string> = {
  open: "Open",
  pending: "Pending",
  resolved: "Resolved",
  snoozed: "Snoozed",
};

function StatusBadge({ conversation }: { conversation: Conversation }) {
  if (conversation.status === "open") return null;
  const snoozed = conversation.status === "snoozed" && conversation.snoozed_until != null;
  return (
    <Badge variant={conversation.status === "resolved" ? "success" : "outline"} data-testid="thread-status" data-status={conversation.status}>
      {snoozed && <AlarmClock aria-hidden />}
      {snoozed ? `Snoozed until ${snoozeUntilLabel(conversation.snoozed_until as string)}` : STATUS_LABEL[conversation.status]}
    </Badge>
  );
}

/** Everything the header can change on the conversation, with the last failure's reason. */
function useConversationActions(conversation: Conversation) {
  const update = useUpdateConversation();
  const markUnread = useMarkUnread();
  const [error, setError] = useState<string | null>(null);

  function change(changes: ConversationChanges) {
    setError(null);
    update.mutate(
      { conversationId: conversation.id, changes },
      { onError: (failure) => setError(errorMessage(failure)) },
    );
  }

  const status: StatusActions = {
    setStatus: (next) => change({ status: next }),
    snooze: (until) => change({ status: "snoozed", snoozed_until: until.toISOString() }),
    openCustomSnooze: () => {},
  };

  return {
    status,
    assign: (assigneeId: string | null) => change({ assignee_id: assigneeId }),
    setLabels: (labels: string[]) => change({ labels }),
    markUnread: () => {
      setError(null);
      markUnread.mutate(conversation.id, { onError: (failure) => setError(errorMessage(failure)) });
    },
    error,
    clearError: () => setError(null),
  };
}

/**
 * The open conversation's header: who and where, the messaging window, and the agent's
 * actions (status, snooze, assignee, labels, mark unread). On a phone the actions fold into
 * one menu and a back link returns to the list.
 */
export function ThreadHeader({ conversation }: { conversation: Conversation }) {
  const me = useMe();
  // Viewers read along; the API refuses them any change, so no actions are offered.
  const readOnly = useCan("conversations:write") !== true;
  const members = useTeamMembers();
  const actions = useConversationActions(conversation);
  // Back to the list as it was (folder, filters, search), not to the default view.
  const listPath = useInboxListPath();
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [labelsOpen, setLabelsOpen] = useState(false);
  // Admins and owners may move the conversation to the trash.
  const canDelete = useCan("conversations:delete") === true;
  const [deleteOpen, setDeleteOpen] = useState(false);
  const meId = me.data?.id ?? null;
  const assignee = members.data?.find((m) => m.id === conversation.assignee_id);
  const statusActions: StatusActions = { ...actions.status, openCustomSnooze: () => setSnoozeOpen(true) };
  const primary = primaryStatusAction(conversation.status);

  return (
    <div className="shrink-0 border-b bg-background">
      <header data-testid="thread-header" className="@container flex h-16 items-center gap-3 px-3 sm:px-6">
        <Link
          to={listPath}
          className="-ml-1 rounded-md p-1 text-muted-foreground hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none md:hidden"
          aria-label="Back to conversations"
          data-testid="thread-back"
        >
          <ArrowLeft className="size-5" />
        </Link>
        <ContactAvatar conversation={conversation} className="size-9" showChannel={false} />
        <div className="@container min-w-0 flex-1">
          <div className="flex min-w-0 items-center gap-2">
            <h2 data-testid="thread-contact-name" className="truncate text-sm font-semibold">
              {conversation.contact.name || conversation.contact.external_id}
            </h2>
            <span className="hidden sm:inline-flex">
              <StatusBadge conversation={conversation} />
            </span>
          </div>
          <p className="flex min-w-0 items-center gap-1.5 text-xs text-muted-foreground">
            <ChannelIcon kind={conversation.channel.kind} className="size-3.5 shrink-0" />
            <span data-testid="thread-channel-name" className="truncate">
              {conversation.channel.name}
            </span>
            <WindowBadge conversation={conversation} className="ml-1 shrink-0 px-1.5 py-0 text-[11px]" />
          </p>
        </div>

        {/* Where the thread is wide enough (not on a phone, nor beside the list on a tablet):
            every action in the bar. The width is the thread's, not the screen's. */}
        <div className="hidden shrink-0 items-center gap-1 @min-[36rem]:flex">
          {!readOnly && (
            <>
              <LabelsControl labels={conversation.labels} onChange={actions.setLabels} />
              <DropdownMenu>
                <DropdownMenuTrigger asChild>
                  <AssigneeTrigger assignee={assignee} assigneeId={conversation.assignee_id} />
                </DropdownMenuTrigger>
                <DropdownMenuContent align="end" className="w-60">
                  <AssigneeMenuItems
                    assigneeId={conversation.assignee_id}
                    members={members.data}
                    meId={meId}
                    onAssign={actions.assign}
                    loading={members.isPending}
                  />
                </DropdownMenuContent>
              </DropdownMenu>
              <DropdownMenu>
                <DropdownMenuTrigger asChild>
                  <Button variant="ghost" size="icon" className="size-8" aria-label="More actions" data-testid="thread-more">
                    <EllipsisVertical aria-hidden />
                  </Button>
                </DropdownMenuTrigger>
                <DropdownMenuContent align="end">
                  <DropdownMenuItem onSelect={actions.markUnread} data-testid="mark-unread">
                    <Mail aria-hidden />
                    Mark as unread
                  </DropdownMenuItem>
                  {canDelete && (
                    <>
                      <DropdownMenuSeparator />
                      <DropdownMenuItem variant="destructive" onSelect={() => setDeleteOpen(true)} data-testid="delete-conversation">
                        <Trash2 aria-hidden />
                        Delete conversation
                      </DropdownMenuItem>
                    </>
                  )}
                </DropdownMenuContent>
              </DropdownMenu>
              <StatusControl status={conversation.status} actions={statusActions} />
            </>
          )}
        </div>

        {/* A narrow thread: one menu. */}
        {!readOnly && (
          <div className="@min-[36rem]:hidden">
            <DropdownMenu>
              <DropdownMenuTrigger asChild>
                <Button variant="ghost" size="icon" className="size-9" aria-label="Conversation actions" data-testid="thread-actions-mobile">
                  <EllipsisVertical aria-hidden />
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end" className="w-60">
                <DropdownMenuItem onSelect={() => statusActions.setStatus(primary.to)} data-testid="status-primary-mobile">
                  {primary.to === "resolved" ? <CheckCircle2 aria-hidden /> : <RotateCcw aria-hidden />}
                  {primary.label}
                </DropdownMenuItem>
                <StatusMenuItems status={conversation.status} actions={statusActions} />
                <DropdownMenuSeparator />
                <DropdownMenuSub>
                  <DropdownMenuSubTrigger>
                    <UserRound aria-hidden />
                    Assign…
                  </DropdownMenuSubTrigger>
                  <DropdownMenuSubContent className="w-56">
                    <AssigneeMenuItems
                      assigneeId={conversation.assignee_id}
                      members={members.data}
                      meId={meId}
                      onAssign={actions.assign}
                      loading={members.isPending}
                    />
                  </DropdownMenuSubContent>
                </DropdownMenuSub>
                <DropdownMenuItem onSelect={() => setLabelsOpen(true)}>
                  <Tag aria-hidden />
                  Labels…
                </DropdownMenuItem>
                <DropdownMenuItem onSelect={actions.markUnread}>
                  <Mail aria-hidden />
                  Mark as unread
                </DropdownMenuItem>
                {canDelete && (
                  <DropdownMenuItem variant="destructive" onSelect={() => setDeleteOpen(true)} data-testid="delete-conversation-mobile">
                    <Trash2 aria-hidden />
                    Delete conversation
                  </DropdownMenuItem>
                )}
              </DropdownMenuContent>
            </DropdownMenu>
          </div>
        )}
      </header>

      {actions.error !== null && (
        <Alert variant="destructive" className="rounded-none border-x-0 border-b-0 py-2" data-testid="thread-header-error">
          <AlertDescription className="flex items-start justify-between gap-3">
            <span>{actions.error}</span>
            <button type="button" onClick={actions.clearError} aria-label="Dismiss" className="rounded-sm opacity-70 hover:opacity-100">
              <X className="size-4" aria-hidden />
            </button>
          </AlertDescription>
        </Alert>
      )}

      {snoozeOpen && <SnoozeDialog open={snoozeOpen} onOpenChange={setSnoozeOpen} onSnooze={statusActions.snooze} />}
      {deleteOpen && (
        <DeleteConversationDialog conversation={conversation} open={deleteOpen} onOpenChange={setDeleteOpen} backTo={listPath} />
      )}
      <Dialog open={labelsOpen} onOpenChange={setLabelsOpen}>
        <DialogContent className="sm:max-w-sm">
          <div className="grid gap-1">
            <DialogTitle>Labels</DialogTitle>
            <DialogDescription>Tick labels on or off, or type a new one.</DialogDescription>
          </div>
          <LabelsEditor labels={conversation.labels} onChange={actions.setLabels} />
        </DialogContent>
      </Dialog>
    </div>
  );
}
