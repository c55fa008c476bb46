import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { createMemoryRouter, RouterProvider } from "react-router";

import { AcceptInviteRoute } from "@/app/routes/accept-invite";
import type { InvitationPreview } from "@/lib/api/types";
import { getTokens, setTokens } from "@/lib/auth";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { jsonResponse } from "@/testing/fixtures";
import { createTestQueryClient } from "@/testing/render";

const PREVIEW: InvitationPreview = {
  tenant_name: "Acme Support",
  email: "ana@acme.test",
  role: "agent",
  expires_at: "2026-12-01T10:00:00Z",
  invited_by: { name: "Olivia", email: "owner@acme.test" },
};

const TOKENS = { access_token: "new-access", refresh_token: "new-refresh", token_type: "bearer", expires_in: 900 };

function renderInvite(handlers: Record<string, StubHandler>) {
  const api = stubApi({ "GET /api/invitations/tok_1": () => jsonResponse(200, PREVIEW), ...handlers });
  const router = createMemoryRouter(
    [
      { path: "/invite/:token", element: <AcceptInviteRoute /> },
      { path: "/inbox", element: <p>Inbox page</p> },
      { path: "/login", element: <p>Sign-in page</p> },
    ],
    { initialEntries: ["/invite/tok_1"] },
  );
  render(
    <QueryClientProvider client={createTestQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { api, router };
}

function refused(status: number, error: string, detail: string): StubHandler {
  return () => jsonResponse(status, { error, detail });
}

describe("AcceptInviteRoute", () => {
  it("shows who invites you where as what, with the email fixed", async () => {
    renderInvite({});
    expect(await screen.findByText("Join Acme Support as agent")).toBeInTheDocument();
    expect(screen.getByText(/Olivia invited you to join as agent: answers conversations/)).toBeInTheDocument();
    const email = screen.getByTestId("accept-email");
    expect(email).toHaveValue("ana@acme.test");
    expect(email).toHaveAttribute("readonly");
    expect(screen.getByTestId("accept-submit")).toHaveTextContent("Join Acme Support");
  });

  it("joins with name and password, stores the tokens and goes to the inbox", async () => {
    const { api, router } = renderInvite({ "POST /api/invitations/tok_1/accept": () => jsonResponse(200, TOKENS) });
    await userEvent.click(await screen.findByTestId("accept-submit"));
    expect(screen.getByTestId("form-error")).toHaveTextContent("Fill in your name and choose a password.");
    expect(api.find("POST", "/api/invitations/tok_1/accept")).toHaveLength(0);

    await userEvent.type(screen.getByTestId("accept-name"), "  Ana Lima ");
    await userEvent.type(screen.getByTestId("accept-password"), "a long enough passphrase");
    await userEvent.click(screen.getByTestId("accept-submit"));

    expect(await screen.findByText("Inbox page")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/inbox");
    expect(getTokens()).toEqual({ accessToken: "new-access", refreshToken: "new-refresh" });
    const [request] = api.find("POST", "/api/invitations/tok_1/accept");
    expect(request?.body).toEqual({ name: "Ana Lima", password: "a long enough passphrase" });
    expect(request?.headers.get("Authorization")).toBeNull(); // the token in the path is the credential
  });

  it("shows the server's password rule and stays", async () => {
    renderInvite({
      "POST /api/invitations/tok_1/accept": refused(422, "validation_error", "password: must be at least 10 characters"),
    });
    await userEvent.type(await screen.findByTestId("accept-name"), "Ana");
    await userEvent.type(screen.getByTestId("accept-password"), "short");
    await userEvent.click(screen.getByTestId("accept-submit"));
    expect(await screen.findByTestId("form-error")).toHaveTextContent("password: must be at least 10 characters");
    expect(getTokens()).toBeNull();
  });

  it("warns a signed-in visitor that joining switches accounts", async () => {
    setTokens({ accessToken: "old", refreshToken: "old-r" });
    renderInvite({});
    expect(await screen.findByTestId("accept-signed-in-note")).toHaveTextContent("signs you in as ana@acme.test");
  });

  it.each([
    ["invitation_expired", 410, "This invitation has expired"],
    ["invitation_used", 410, "This invitation has already been used"],
    ["invitation_not_found", 404, "This invitation link is not valid"],
  ])("explains a %s link and offers no form", async (code, status, title) => {
    renderInvite({ "GET /api/invitations/tok_1": refused(status, code, "Server says why.") });
    expect(await screen.findByText(title)).toBeInTheDocument();
    expect(screen.getByTestId("accept-error")).toHaveAttribute("data-code", code);
    expect(screen.getByTestId("accept-error")).toHaveTextContent("Server says why.");
    expect(screen.queryByTestId("accept-submit")).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
  });

  it("explains a link used in the meantime when joining", async () => {
    renderInvite({
      "POST /api/invitations/tok_1/accept": refused(410, "invitation_used", "This invitation has already been used. Sign in instead."),
    });
    await userEvent.type(await screen.findByTestId("accept-name"), "Ana");
    await userEvent.type(screen.getByTestId("accept-password"), "a long enough passphrase");
    await userEvent.click(screen.getByTestId("accept-submit"));
    await waitFor(() => expect(screen.getByTestId("form-error")).toHaveTextContent("already been used"));
    expect(getTokens()).toBeNull();
  });
});
