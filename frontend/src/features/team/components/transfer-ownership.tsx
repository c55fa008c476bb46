import { Crown } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { memberName } from "@/features/inbox/api/get-team-members";
import { errorMessage } from "@/lib/api/errors";
import type { TeamMember } from "@/lib/api/types";

import { useTransferOwnership } from "../api/team";
import { ROLE_LABELS } from "../utils/roles";
import { SELECT_CLASS } from "../utils/select";

/** For owners: make another member the owner; the caller becomes an admin. */
export function TransferOwnership({ members, meId }: { members: TeamMember[]; meId: string }) {
  const [open, setOpen] = useState(false);
  const [userId, setUserId] = useState("");
  const transfer = useTransferOwnership();
  const selectId = useId();
  const others = members.filter((m) => m.id !== meId);
  const chosen = others.find((m) => m.id === userId);

  function change(next: boolean) {
    setOpen(next);
    setUserId("");
    transfer.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen === undefined) return;
    transfer.mutate(chosen.id, { onSuccess: () => change(false) });
  }

  return (
    <>
      <Button variant="outline" onClick={() => change(true)} disabled={others.length === 0} data-testid="team-transfer-button">
        <Crown aria-hidden />
        Transfer ownership
      </Button>
      <Dialog open={open} onOpenChange={change}>
        <DialogContent>
          <div className="grid gap-1">
            <DialogTitle>Transfer ownership</DialogTitle>
            <DialogDescription>
              The member you choose becomes an owner and you become an admin, in one step. Only an owner can give it back.
            </DialogDescription>
          </div>
          <form onSubmit={submit} className="grid gap-4" data-testid="transfer-form">
            <div className="grid gap-1.5">
              <Label htmlFor={selectId}>New owner</Label>
              <select
                id={selectId}
                value={userId}
                onChange={(e) => setUserId(e.target.value)}
                className={SELECT_CLASS}
                data-testid="transfer-member"
              >
                <option value="">Choose a member…</option>
                {others.map((m) => (
                  <option key={m.id} value={m.id}>
                    {memberName(m)} ({ROLE_LABELS[m.role]})
                  </option>
                ))}
              </select>
            </div>
            {transfer.error !== null && (
              <Alert variant="destructive">
                <AlertDescription>{errorMessage(transfer.error)}</AlertDescription>
              </Alert>
            )}
            <div className="flex justify-end gap-2">
              <Button type="button" variant="outline" onClick={() => change(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={chosen === undefined || transfer.isPending} data-testid="transfer-submit">
                {transfer.isPending && <Spinner className="text-primary-foreground" label="Transferring" />}
                {chosen === undefined ? "Transfer" : `Make ${memberName(chosen)} the owner`}
              </Button>
            </div>
          </form>
        </DialogContent>
      </Dialog>
    </>
  );
}
