import { useNavigate } from "react-router";

import { ConfirmDialog } from "@/components/confirm-dialog";
import type { Conversation } from "@/lib/api/types";

import { useDeleteConversation } from "../api/trash";

export interface DeleteConversationDialogProps {
  conversation: Conversation;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** Where to go once it is deleted (the list the thread was opened from). */
  backTo: string;
}

/** Confirms moving a conversation to the trash, then goes back to the list. */
export function DeleteConversationDialog({ conversation, open, onOpenChange, backTo }: DeleteConversationDialogProps) {
  const navigate = useNavigate();
  const remove = useDeleteConversation();
  const name = conversation.contact.name || conversation.contact.external_id;

  function confirm() {
    remove.mutate(conversation.id, {
      onSuccess: () => {
        onOpenChange(false);
        void navigate(backTo, { replace: true });
      },
    });
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        if (!next) remove.reset();
        onOpenChange(next);
      }}
      title={`Delete the conversation with ${name}?`}
      description={`It leaves everyone's inbox now. Admins can restore it from Settings → Data & privacy for 30 days; after that it is erased with its messages and files. If ${name} writes again, it comes back.`}
      confirmLabel="Delete conversation"
      pending={remove.isPending}
      pendingLabel="Deleting"
      error={remove.error}
      onConfirm={confirm}
      testId="delete-conversation-dialog"
      confirmTestId="delete-conversation-confirm"
    />
  );
}
