import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";

import { useLogin } from "../api/login";

import { FormError } from "./form-error";
import { FormField } from "./form-field";

export interface LoginFormProps {
  onSuccess: () => void;
}

export function LoginForm({ onSuccess }: LoginFormProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const login = useLogin();

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (email.trim() === "" || password === "") {
      setLocalError("Enter your email and password.");
      return;
    }
    setLocalError(null);
    login.mutate({ email: email.trim(), password }, { onSuccess });
  }

  const error = localError ?? (login.isError ? errorMessage(login.error) : null);

  return (
    <form className="grid gap-4" onSubmit={handleSubmit} noValidate aria-label="Sign in">
      <FormError message={error} />
      <FormField
        id="login-email"
        data-testid="login-email"
        label="Email"
        type="email"
        autoComplete="email"
        placeholder="you@company.com"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        autoFocus
      />
      <FormField
        id="login-password"
        data-testid="login-password"
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" data-testid="login-submit" className="mt-1 w-full" disabled={login.isPending}>
        {login.isPending && <Spinner className="text-primary-foreground" label="Signing in" />}
        Sign in
      </Button>
    </form>
  );
}

export function LoginFooter() {
  return (
    <>
      New to Parley?{" "}
      <Link to="/register" className="font-medium text-primary underline-offset-4 hover:underline">
        Create an account
      </Link>
    </>
  );
}
