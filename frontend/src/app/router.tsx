import { createBrowserRouter, Navigate, type RouteObject } from "react-router";

import { AppLayout } from "./layouts/app-layout";
import { SettingsLayout } from "./layouts/settings-layout";
import { AcceptInviteRoute } from "./routes/accept-invite";
import { ApiKeysRoute } from "./routes/api-keys";
import { AuditLogRoute } from "./routes/audit-log";
import { ChannelsRoute, ConnectMessengerRoute, ConnectWhatsAppRoute } from "./routes/channels";
import { RedirectIfAuthenticated, RequireAuth } from "./routes/guards";
import { DataRoute } from "./routes/data";
import { ConversationRoute, InboxIndexRoute, InboxRoute } from "./routes/inbox";
import { LoginRoute } from "./routes/login";
import { NotFoundRoute } from "./routes/not-found";
import { OperationsRoute } from "./routes/operations";
import { RegisterRoute } from "./routes/register";
import { ReportsRoute } from "./routes/reports";
import { SavedRepliesRoute } from "./routes/saved-replies";
import { TeamRoute } from "./routes/team";
import { WebhooksRoute } from "./routes/webhooks";

export const routes: RouteObject[] = [
  { path: "/", element: <Navigate to="/inbox" replace /> },
  // An invitation link works signed in or not (it signs the new member in).
  { path: "/invite/:token", element: <AcceptInviteRoute /> },
  {
    element: <RedirectIfAuthenticated />,
    children: [
      { path: "/login", element: <LoginRoute /> },
      { path: "/register", element: <RegisterRoute /> },
    ],
  },
  {
    element: <RequireAuth />,
    children: [
      {
        element: <AppLayout />,
        children: [
          {
            path: "/inbox",
            element: <InboxRoute />,
            children: [
              { index: true, element: <InboxIndexRoute /> },
              { path: ":conversationId", element: <ConversationRoute /> },
            ],
          },
          { path: "/channels", element: <ChannelsRoute /> },
          { path: "/channels/connect/messenger", element: <ConnectMessengerRoute /> },
          { path: "/channels/connect/whatsapp", element: <ConnectWhatsAppRoute /> },
          { path: "/operations", element: <OperationsRoute /> },
          { path: "/reports", element: <ReportsRoute /> },
          {
            path: "/settings",
            element: <SettingsLayout />,
            children: [
              { index: true, element: <Navigate to="/settings/saved-replies" replace /> },
              { path: "saved-replies", element: <SavedRepliesRoute /> },
              { path: "team", element: <TeamRoute /> },
              { path: "api-keys", element: <ApiKeysRoute /> },
              { path: "webhooks", element: <WebhooksRoute /> },
              { path: "audit-log", element: <AuditLogRoute /> },
              { path: "data", element: <DataRoute /> },
            ],
          },
        ],
      },
    ],
  },
  { path: "*", element: <NotFoundRoute /> },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
