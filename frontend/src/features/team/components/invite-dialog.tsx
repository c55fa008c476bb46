import { MailCheck, MailWarning, UserPlus } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { CopyField } from "@/components/copy-field";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { InvitationCreated, Role } from "@/lib/api/types";

import { useCreateInvitation } from "../api/team";
import { grantableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS } from "../utils/roles";

import { SELECT_CLASS } from "../utils/select";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function InviteForm({ canOwn, onCreated }: { canOwn: boolean; onCreated: (created: InvitationCreated) => void }) {
  const create = useCreateInvitation();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { email: useId(), role: useId() };
  const serverFields = create.error instanceof ApiError ? create.error.fields : [];
  const emailError = problem ?? serverFields.find((f) => f.field === "email")?.message ?? null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const trimmed = email.trim();
    if (!EMAIL.test(trimmed)) {
      setProblem("Enter the email address of the person to invite.");
      return;
    }
    setProblem(null);
    create.mutate({ email: trimmed, role }, { onSuccess: onCreated });
  }

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate data-testid="invite-form">
      <div className="grid gap-1.5">
        <Label htmlFor={ids.email}>Email</Label>
        <Input
          id={ids.email}
          type="email"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            create.reset();
          }}
          placeholder="teammate@company.com"
          autoFocus
          aria-invalid={emailError !== null || undefined}
          data-testid="invite-email"
        />
        {emailError !== null && <p className="text-xs text-destructive">{emailError}</p>}
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.role}>Role</Label>
        <select
          id={ids.role}
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          className={SELECT_CLASS}
          data-testid="invite-role"
        >
          {grantableRoles(canOwn).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        <p className="text-xs text-muted-foreground">{ROLE_DESCRIPTIONS[role]}</p>
      </div>
      {create.error !== null && serverFields.length === 0 && (
        <Alert variant="destructive" data-testid="invite-error">
          <AlertDescription>{errorMessage(create.error)}</AlertDescription>
        </Alert>
      )}
      <div className="flex justify-end">
        <Button type="submit" disabled={create.isPending} data-testid="invite-submit">
          {create.isPending && <Spinner className="text-primary-foreground" label="Inviting" />}
          Create invitation
        </Button>
      </div>
    </form>
  );
}

function InviteResult({ created, onAnother, onDone }: { created: InvitationCreated; onAnother: () => void; onDone: () => void }) {
  const expires = new Date(created.expires_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="grid gap-4" data-testid="invite-result">
      {created.email_sent ? (
        <Alert data-testid="invite-email-sent">
          <MailCheck aria-hidden />
          <AlertDescription>
            We emailed the invitation to <strong>{created.email}</strong>. You can also share the link yourself.
          </AlertDescription>
        </Alert>
      ) : (
        <Alert data-testid="invite-email-not-configured">
          <MailWarning aria-hidden />
          <AlertDescription>
            Email is not configured on this server, so no email was sent. Copy the link and send it to{" "}
            <strong>{created.email}</strong> yourself.
          </AlertDescription>
        </Alert>
      )}
      <div className="grid gap-1.5">
        <Label>Invitation link</Label>
        <CopyField value={created.invite_url} testId="invite-link" copyTestId="invite-copy" />
        <p className="text-xs text-muted-foreground">
          It works once, for {ROLE_LABELS[created.role].toLowerCase()} access, until {expires}. It is shown only now.
        </p>
      </div>
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onAnother} data-testid="invite-another">
          Invite another
        </Button>
        <Button type="button" onClick={onDone} data-testid="invite-done">
          Done
        </Button>
      </div>
    </div>
  );
}

/** "Invite" button and dialog: email + role, then the link to copy (and whether it was emailed). */
export function InviteDialog({ canOwn }: { canOwn: boolean }) {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const [formKey, setFormKey] = useState(0);

  function change(next: boolean) {
    setOpen(next);
    if (!next) setCreated(null);
  }

  return (
    <>
      <Button onClick={() => change(true)} data-testid="team-invite-button">
        <UserPlus aria-hidden />
        Invite
      </Button>
      <Dialog open={open} onOpenChange={change}>
        <DialogContent>
          <div className="grid gap-1">
            <DialogTitle>{created === null ? "Invite a teammate" : "Invitation created"}</DialogTitle>
            <DialogDescription>
              {created === null
                ? "They get a single-use link to choose a password and join this workspace."
                : `Share this link with ${created.email}.`}
            </DialogDescription>
          </div>
          {created === null ? (
            <InviteForm key={formKey} canOwn={canOwn} onCreated={setCreated} />
          ) : (
            <InviteResult
              created={created}
              onAnother={() => {
                setCreated(null);
                setFormKey((k) => k + 1);
              }}
              onDone={() => change(false)}
            />
          )}
        </DialogContent>
      </Dialog>
    </>
  );
}
