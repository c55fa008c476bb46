import { useLocation, useNavigate } from "react-router";

import { AuthLayout } from "@/features/auth/components/auth-layout";
import { LoginFooter, LoginForm } from "@/features/auth/components/login-form";

function returnPath(state: unknown): string {
  if (state !== null && typeof state === "object" && "from" in state && typeof state.from === "string") {
    if (state.from.startsWith("/inbox")) return state.from;
  }
  return "/inbox";
}

export function LoginRoute() {
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <AuthLayout title="Sign in" description="Welcome back. Sign in to your team's inbox." footer={<LoginFooter />}>
      <LoginForm onSuccess={() => void navigate(returnPath(location.state), { replace: true })} />
    </AuthLayout>
  );
}
