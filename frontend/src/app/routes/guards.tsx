import { Navigate, Outlet, useLocation } from "react-router";

import { useIsAuthenticated } from "@/features/auth/hooks/use-auth";

/** Signed-out visitors go to /login (and come back here afterwards). */
export function RequireAuth() {
  const authenticated = useIsAuthenticated();
  const location = useLocation();
  if (!authenticated) {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <Outlet />;
}

/** Signed-in users have no business on /login or /register. */
export function RedirectIfAuthenticated() {
  const authenticated = useIsAuthenticated();
  if (authenticated) return <Navigate to="/inbox" replace />;
  return <Outlet />;
}
