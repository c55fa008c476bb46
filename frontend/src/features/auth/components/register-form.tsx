import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";

import { useRegister } from "../api/register";

import { FormError } from "./form-error";
import { FormField } from "./form-field";

export interface RegisterFormProps {
  onSuccess: () => void;
}

export function RegisterForm({ onSuccess }: RegisterFormProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenantName, setTenantName] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const register = useRegister();

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (tenantName.trim() === "" || email.trim() === "" || password === "") {
      setLocalError("Fill in your business name, email and password.");
      return;
    }
    setLocalError(null);
    // Password rules live on the server; its 422 detail says what to fix.
    register.mutate({ email: email.trim(), password, tenant_name: tenantName.trim() }, { onSuccess });
  }

  const error = localError ?? (register.isError ? errorMessage(register.error) : null);

  return (
    <form className="grid gap-4" onSubmit={handleSubmit} noValidate aria-label="Create account">
      <FormError message={error} />
      <FormField
        id="register-tenant"
        data-testid="register-tenant"
        label="Business name"
        autoComplete="organization"
        placeholder="Acme Coffee"
        value={tenantName}
        onChange={(e) => setTenantName(e.target.value)}
        autoFocus
      />
      <FormField
        id="register-email"
        data-testid="register-email"
        label="Work email"
        type="email"
        autoComplete="email"
        placeholder="you@company.com"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <FormField
        id="register-password"
        data-testid="register-password"
        label="Password"
        type="password"
        autoComplete="new-password"
        hint="At least 10 characters."
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" data-testid="register-submit" className="mt-1 w-full" disabled={register.isPending}>
        {register.isPending && <Spinner className="text-primary-foreground" label="Creating account" />}
        Create account
      </Button>
    </form>
  );
}

export function RegisterFooter() {
  return (
    <>
      Already have an account?{" "}
      <Link to="/login" className="font-medium text-primary underline-offset-4 hover:underline">
        Sign in
      </Link>
    </>
  );
}
