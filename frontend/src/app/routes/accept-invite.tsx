// Placeholder until this page is built (issue 7).
export function AcceptInviteRoute() {
  return null;
}
