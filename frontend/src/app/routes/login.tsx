import { useLocation, useNavigate } from "react-router";

import { AuthLayout } from "@/features/auth/components/auth-layout";
import { LoginFooter, LoginForm } from "@/features/auth/components/login-form";
import { GoodbyeNotice } from "@/features/data/components/goodbye-notice";
import { LegalLinks } from "@/features/data/components/legal-links";

import { returnPath } from "./return-path";

export function LoginRoute() {
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <AuthLayout
      title="Sign in"
      description="Welcome back. Sign in to your team's inbox."
      footer={
        <>
          <LoginFooter />
          <LegalLinks className="mt-3" />
        </>
      }
    >
      <GoodbyeNotice />
      <LoginForm onSuccess={() => void navigate(returnPath(location.state), { replace: true })} />
    </AuthLayout>
  );
}
