import { Navigate, Outlet, useLocation } from "react-router";

import { useIsAuthenticated } from "@/features/auth/hooks/use-auth";

import { returnPath } from "./return-path";

/** Signed-out visitors go to /login (and come back here afterwards). */
export function RequireAuth() {
  const authenticated = useIsAuthenticated();
  const location = useLocation();
  if (!authenticated) {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <Outlet />;
}

/** Signed-in users have no business on /login or /register: on to where they were going. */
export function RedirectIfAuthenticated() {
  const authenticated = useIsAuthenticated();
  const location = useLocation();
  // This answers first when a sign-in succeeds, so it must honour the return path too.
  if (authenticated) return <Navigate to={returnPath(location.state)} replace />;
  return <Outlet />;
}
