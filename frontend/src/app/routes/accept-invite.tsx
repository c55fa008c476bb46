import { useNavigate, useParams } from "react-router";

import { AcceptInvite } from "@/features/team/components/accept-invite";

export function AcceptInviteRoute() {
  const { token = "" } = useParams();
  const navigate = useNavigate();
  return <AcceptInvite token={token} onJoined={() => void navigate("/inbox", { replace: true })} />;
}
