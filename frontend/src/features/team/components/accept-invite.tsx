import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { AuthLayout } from "@/features/auth/components/auth-layout";
import { FormError } from "@/features/auth/components/form-error";
import { FormField } from "@/features/auth/components/form-field";
import { useIsAuthenticated } from "@/features/auth/hooks/use-auth";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { InvitationPreview } from "@/lib/api/types";

import { useAcceptInvitation, useInvitationPreview } from "../api/invite-link";
import { ROLE_DESCRIPTIONS, ROLE_LABELS } from "../utils/roles";

const SIGN_IN = (
  <Link to="/login" className="font-medium text-primary underline-offset-4 hover:underline">
    Sign in
  </Link>
);

/** Why a link does not work, in words for the person holding it. */
function linkProblem(error: unknown): { title: string; detail: string } {
  const code = error instanceof ApiError ? error.error : null;
  if (code === "invitation_expired") {
    return { title: "This invitation has expired", detail: "Invitation links work for a limited time. Ask the person who invited you for a new one." };
  }
  if (code === "invitation_used") {
    return { title: "This invitation has already been used", detail: "Each link works once. If you joined already, sign in with your email and password." };
  }
  if (code === "invitation_not_found") {
    return { title: "This invitation link is not valid", detail: "It may have been revoked or replaced by a newer invitation. Ask for a new one." };
  }
  return { title: "Could not open this invitation", detail: errorMessage(error) };
}

function AcceptForm({ token, preview, onJoined }: { token: string; preview: InvitationPreview; onJoined: () => void }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const accept = useAcceptInvitation();
  const signedIn = useIsAuthenticated();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (name.trim() === "" || password === "") {
      setLocalError("Fill in your name and choose a password.");
      return;
    }
    setLocalError(null);
    // Password rules live on the server; its 422 detail says what to fix.
    accept.mutate({ token, body: { name: name.trim(), password } }, { onSuccess: onJoined });
  }

  const error = localError ?? (accept.isError ? errorMessage(accept.error) : null);
  return (
    <form className="grid gap-4" onSubmit={submit} noValidate aria-label="Accept invitation">
      <FormError message={error} />
      {signedIn && (
        <p className="text-xs text-muted-foreground" data-testid="accept-signed-in-note">
          You are signed in with another account in this browser; joining signs you in as {preview.email} instead.
        </p>
      )}
      <FormField id="accept-email" data-testid="accept-email" label="Email" type="email" value={preview.email} readOnly disabled />
      <FormField
        id="accept-name"
        data-testid="accept-name"
        label="Your name"
        autoComplete="name"
        placeholder="Ada Lovelace"
        value={name}
        onChange={(e) => setName(e.target.value)}
        autoFocus
      />
      <FormField
        id="accept-password"
        data-testid="accept-password"
        label="Choose a password"
        type="password"
        autoComplete="new-password"
        hint="At least 10 characters."
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" data-testid="accept-submit" className="mt-1 w-full" disabled={accept.isPending}>
        {accept.isPending && <Spinner className="text-primary-foreground" label="Joining" />}
        Join {preview.tenant_name}
      </Button>
    </form>
  );
}

/** The public page behind an invitation link: who invites you where, then name + password. */
export function AcceptInvite({ token, onJoined }: { token: string; onJoined: () => void }) {
  const preview = useInvitationPreview(token);

  if (preview.isPending) {
    return (
      <AuthLayout title="Invitation" description="Checking your invitation…" footer={<>Already have an account? {SIGN_IN}</>}>
        <div className="flex justify-center py-4">
          <Spinner label="Loading invitation" />
        </div>
      </AuthLayout>
    );
  }
  if (preview.isError) {
    const problem = linkProblem(preview.error);
    return (
      <AuthLayout title={problem.title} description={problem.detail} footer={<>Already a member? {SIGN_IN}</>}>
        <p className="text-sm text-destructive" data-testid="accept-error" data-code={preview.error instanceof ApiError ? preview.error.error : undefined}>
          {errorMessage(preview.error)}
        </p>
      </AuthLayout>
    );
  }
  const invite = preview.data;
  const inviter = invite.invited_by === null ? null : invite.invited_by.name?.trim() || invite.invited_by.email;
  const description = `${inviter === null ? "You have been invited" : `${inviter} invited you`} to join as ${ROLE_LABELS[invite.role].toLowerCase()}: ${ROLE_DESCRIPTIONS[invite.role].toLowerCase()}.`;
  return (
    <AuthLayout
      title={`Join ${invite.tenant_name} as ${ROLE_LABELS[invite.role].toLowerCase()}`}
      description={description}
      footer={<>Already have an account? {SIGN_IN}</>}
    >
      <AcceptForm token={token} preview={invite} onJoined={onJoined} />
    </AuthLayout>
  );
}
