import { useNavigate } from "react-router";

import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
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
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        if (!next) remove.reset();
        onOpenChange(next);
      }}
    >
      <AlertDialogContent data-testid="delete-conversation-dialog">
        <AlertDialogHeader>
          <AlertDialogTitle>Delete the conversation with {name}?</AlertDialogTitle>
          <AlertDialogDescription>
            It leaves everyone&apos;s inbox now. Admins can restore it from Settings → Data &amp; privacy for 30 days; after that it is
            erased with its messages and files. If {name} writes again, it comes back.
          </AlertDialogDescription>
        </AlertDialogHeader>
        {remove.error !== null && (
          <p role="alert" className="text-sm text-destructive">
            {errorMessage(remove.error)}
          </p>
        )}
        <AlertDialogFooter>
          <AlertDialogCancel disabled={remove.isPending}>Cancel</AlertDialogCancel>
          <Button variant="destructive" onClick={confirm} disabled={remove.isPending} data-testid="delete-conversation-confirm">
            {remove.isPending && <Spinner className="text-destructive-foreground" label="Deleting" />}
            Delete conversation
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
