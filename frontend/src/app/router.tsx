import { createBrowserRouter, Navigate, type RouteObject } from "react-router";

import { AppLayout } from "./layouts/app-layout";
import { ChannelsRoute, ConnectMessengerRoute, ConnectWhatsAppRoute } from "./routes/channels";
import { RedirectIfAuthenticated, RequireAuth } from "./routes/guards";
import { ConversationRoute, InboxIndexRoute, InboxRoute } from "./routes/inbox";
import { LoginRoute } from "./routes/login";
import { NotFoundRoute } from "./routes/not-found";
import { OperationsRoute } from "./routes/operations";
import { RegisterRoute } from "./routes/register";
import { SavedRepliesRoute } from "./routes/saved-replies";

export const routes: RouteObject[] = [
  { path: "/", element: <Navigate to="/inbox" replace /> },
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
          { path: "/settings/saved-replies", element: <SavedRepliesRoute /> },
        ],
      },
    ],
  },
  { path: "*", element: <NotFoundRoute /> },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
