import { AlertTriangle } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { useMe } from "@/features/auth/api/get-me";
import { errorMessage } from "@/lib/api/errors";
import { clearTokens } from "@/lib/auth";

import { useDeleteWorkspace } from "../api/delete-workspace";
import { sayGoodbyeNext } from "../utils/goodbye";

function DeleteWorkspaceForm({ workspace, onCancel }: { workspace: string; onCancel: () => void }) {
  const navigate = useNavigate();
  const remove = useDeleteWorkspace();
  const [confirm, setConfirm] = useState("");
  const [password, setPassword] = useState("");
  const ids = { confirm: useId(), password: useId() };
  const matches = confirm === workspace;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!matches || password === "") return;
    remove.mutate(
      { confirm, password },
      {
        onSuccess: () => {
          sayGoodbyeNext();
          // Signed out first, so the sign-in page does not send us back in.
          clearTokens();
          void navigate("/login", { replace: true });
        },
      },
    );
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" data-testid="delete-workspace-form">
      <Alert variant="destructive">
        <AlertTriangle aria-hidden />
        <AlertDescription>
          Every member is signed out at once, Parley&apos;s access to your Pages and WhatsApp numbers is revoked, and all conversations,
          contacts, files, exports and logs are erased. This cannot be undone. Export your data first if you need it.
        </AlertDescription>
      </Alert>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.confirm}>
          Type <strong className="font-semibold">{workspace}</strong> to confirm
        </Label>
        <Input
          id={ids.confirm}
          value={confirm}
          onChange={(e) => {
            setConfirm(e.target.value);
            remove.reset();
          }}
          autoComplete="off"
          spellCheck={false}
          data-testid="delete-workspace-confirm"
          autoFocus
        />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.password}>Your password</Label>
        <Input
          id={ids.password}
          type="password"
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            remove.reset();
          }}
          autoComplete="current-password"
          data-testid="delete-workspace-password"
        />
      </div>
      {remove.error !== null && (
        <p role="alert" className="text-sm text-destructive" data-testid="delete-workspace-error">
          {errorMessage(remove.error)}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button
          type="submit"
          variant="destructive"
          disabled={!matches || password === "" || remove.isPending}
          data-testid="delete-workspace-submit"
        >
          {remove.isPending && <Spinner className="text-destructive-foreground" label="Deleting" />}
          Delete this workspace
        </Button>
      </div>
    </form>
  );
}

/** The danger zone (owners): delete the workspace after retyping its name and the password. */
export function DeleteWorkspace() {
  const me = useMe();
  const [open, setOpen] = useState(false);
  const workspace = me.data?.tenant.name ?? "";
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 px-4">
      <p className="max-w-prose text-sm text-muted-foreground">
        Delete <strong className="font-medium text-foreground">{workspace}</strong> and everything in it, for every member.
      </p>
      <Button variant="destructive" onClick={() => setOpen(true)} disabled={me.data === undefined} data-testid="delete-workspace">
        Delete workspace
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="sm:max-w-md" data-testid="delete-workspace-dialog">
          <div className="grid gap-1">
            <DialogTitle>Delete this workspace?</DialogTitle>
            <DialogDescription>This erases {workspace} for everyone.</DialogDescription>
          </div>
          {open && <DeleteWorkspaceForm workspace={workspace} onCancel={() => setOpen(false)} />}
        </DialogContent>
      </Dialog>
    </div>
  );
}
