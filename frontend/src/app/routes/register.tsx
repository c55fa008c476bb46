import { useNavigate } from "react-router";

import { AuthLayout } from "@/features/auth/components/auth-layout";
import { RegisterFooter, RegisterForm } from "@/features/auth/components/register-form";

export function RegisterRoute() {
  const navigate = useNavigate();
  return (
    <AuthLayout
      title="Create your workspace"
      description="One shared inbox for your Messenger and WhatsApp conversations."
      footer={<RegisterFooter />}
    >
      <RegisterForm onSuccess={() => void navigate("/inbox", { replace: true })} />
    </AuthLayout>
  );
}
