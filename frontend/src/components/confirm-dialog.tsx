import type { ReactNode } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";

export interface ConfirmDialogProps {
  open: boolean;
  /** Not called while `pending`: the dialog stays up until the action has answered. */
  onOpenChange: (open: boolean) => void;
  /** The button that opens the dialog (wrapped in the dialog's trigger). */
  trigger?: ReactNode;
  title: ReactNode;
  description: ReactNode;
  confirmLabel: ReactNode;
  onConfirm: () => void;
  pending?: boolean;
  /** What the spinner on the confirm button announces while pending ("Deleting"). */
  pendingLabel?: string;
  /** The action's failure, shown above the buttons; `null`/`undefined` when there is none. */
  error?: unknown;
  /** A red confirm button (the default) for what cannot be taken back. */
  destructive?: boolean;
  testId?: string;
  confirmTestId?: string;
  errorTestId?: string;
}

/** "Are you sure?": title, what happens, Cancel and the confirm button, with pending and error states. */
export function ConfirmDialog({
  open,
  onOpenChange,
  trigger,
  title,
  description,
  confirmLabel,
  onConfirm,
  pending = false,
  pendingLabel,
  error,
  destructive = true,
  testId,
  confirmTestId,
  errorTestId,
}: ConfirmDialogProps) {
  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        if (!pending) onOpenChange(next);
      }}
    >
      {trigger !== undefined && <AlertDialogTrigger asChild>{trigger}</AlertDialogTrigger>}
      <AlertDialogContent data-testid={testId}>
        <AlertDialogHeader>
          <AlertDialogTitle>{title}</AlertDialogTitle>
          <AlertDialogDescription>{description}</AlertDialogDescription>
        </AlertDialogHeader>
        {error !== null && error !== undefined && (
          <Alert variant="destructive" data-testid={errorTestId}>
            <AlertDescription>{errorMessage(error)}</AlertDescription>
          </Alert>
        )}
        <AlertDialogFooter>
          <AlertDialogCancel disabled={pending}>Cancel</AlertDialogCancel>
          <Button variant={destructive ? "destructive" : "default"} disabled={pending} onClick={onConfirm} data-testid={confirmTestId}>
            {pending && <Spinner className={destructive ? "text-destructive-foreground" : "text-primary-foreground"} label={pendingLabel} />}
            {confirmLabel}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
