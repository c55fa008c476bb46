import { useNavigate } from "react-router";

import { AuthLayout } from "@/features/auth/components/auth-layout";
import { RegisterFooter, RegisterForm } from "@/features/auth/components/register-form";
import { LegalLinks } from "@/features/data/components/legal-links";

export function RegisterRoute() {
  const navigate = useNavigate();
  return (
    <AuthLayout
      title="Create your workspace"
      description="One shared inbox for your Messenger and WhatsApp conversations."
      footer={
        <>
          <RegisterFooter />
          <LegalLinks className="mt-3" />
        </>
      }
    >
      <RegisterForm onSuccess={() => void navigate("/inbox", { replace: true })} />
    </AuthLayout>
  );
}
