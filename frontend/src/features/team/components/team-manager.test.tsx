import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import type { Invitation, InvitationCreated, Role, TeamMember } from "@/lib/api/types";
import { getTokens, setTokens } from "@/lib/auth";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { TeamManager } from "./team-manager";

const HOUR = 3_600_000;

function member(id: string, role: Role, overrides: Partial<TeamMember> = {}): TeamMember {
  return {
    id,
    name: null,
    email: `${id}@acme.test`,
    role,
    last_login_at: null,
    created_at: "2026-11-01T10:00:00Z",
    ...overrides,
  };
}

function invitation(overrides: Partial<Invitation> = {}): Invitation {
  return {
    id: "i1",
    email: "new@acme.test",
    role: "agent",
    created_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 50 * HOUR).toISOString(),
    expired: false,
    invited_by: { id: "u1", name: "Olivia", email: "owner@acme.test" },
    ...overrides,
  };
}

/** The signed-in user is "u1" (buildMe) with `role`; the team around them. */
function renderTeam(role: Role, handlers: Record<string, StubHandler> = {}, invitations: Invitation[] = []) {
  let me = buildMe(role);
  let members = [
    member("u1", role, { email: me.email, name: "Me Myself", last_login_at: new Date(Date.now() - 2 * HOUR).toISOString() }),
    member("boss", role === "owner" ? "admin" : "owner", { name: "Boss" }),
    member("ana", "agent", { name: "Ana" }),
    member("vic", "viewer"),
  ];
  let pending = invitations;
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, me),
    "GET /api/team/members": () => jsonResponse(200, members),
    "GET /api/team/invitations": () => jsonResponse(200, { items: pending, next_cursor: null }),
    "PATCH /api/team/members/ana": ({ body }) => {
      members = members.map((m) => (m.id === "ana" ? { ...m, role: (body as { role: Role }).role } : m));
      return jsonResponse(200, members.find((m) => m.id === "ana"));
    },
    "DELETE /api/team/members/ana": () => {
      members = members.filter((m) => m.id !== "ana");
      return new Response(null, { status: 204 });
    },
    "DELETE /api/team/invitations/i1": () => {
      pending = pending.filter((i) => i.id !== "i1");
      return jsonResponse(200, invitation());
    },
    "POST /api/team/transfer-ownership": () => {
      me = buildMe("admin");
      members = members.map((m) => (m.id === "u1" ? { ...m, role: "admin" } : m.id === "ana" ? { ...m, role: "owner" } : m));
      return jsonResponse(200, { owner: members[2], previous_owner: members[0] });
    },
    ...handlers,
  });
  renderWithProviders(<TeamManager />);
  return { api };
}

const row = (email: string) => screen.getByTestId(`member-row-${email}`);
const options = (select: HTMLElement) => within(select).getAllByRole("option").map((o) => o.getAttribute("value"));

beforeEach(() => stubLayoutApis());

describe("TeamManager", () => {
  it("lists members with their role and last sign-in", async () => {
    renderTeam("owner");
    await screen.findByTestId("member-row-ana@acme.test");
    expect(row("owner@acme.test")).toHaveTextContent("Me Myself");
    expect(row("owner@acme.test")).toHaveTextContent("You");
    expect(within(row("owner@acme.test")).getByTestId("member-last-sign-in")).toHaveTextContent("2h ago");
    expect(within(row("vic@acme.test")).getByTestId("member-last-sign-in")).toHaveTextContent("Never");
    expect(screen.getByTestId("member-role-select-ana@acme.test")).toHaveValue("agent");
  });

  it("invites with email and role, then shows the link to copy and that email is not configured", async () => {
    const created: InvitationCreated = {
      ...invitation({ id: "i9", email: "zoe@acme.test", role: "viewer" }),
      invite_url: "http://localhost:8000/invite/tok_abc",
      email_sent: false,
    };
    const { api } = renderTeam("owner", { "POST /api/team/invitations": () => jsonResponse(201, created) });
    await userEvent.click(await screen.findByTestId("team-invite-button"));

    await userEvent.click(screen.getByTestId("invite-submit"));
    expect(screen.getByTestId("invite-form")).toHaveTextContent("Enter the email address");
    expect(api.find("POST", "/api/team/invitations")).toHaveLength(0);

    expect(options(screen.getByTestId("invite-role"))).toEqual(["owner", "admin", "agent", "viewer"]);
    await userEvent.type(screen.getByTestId("invite-email"), "zoe@acme.test");
    await userEvent.selectOptions(screen.getByTestId("invite-role"), "viewer");
    await userEvent.click(screen.getByTestId("invite-submit"));

    expect(await screen.findByTestId("invite-link")).toHaveTextContent("http://localhost:8000/invite/tok_abc");
    expect(screen.getByTestId("invite-email-not-configured")).toHaveTextContent("Email is not configured");
    expect(api.find("POST", "/api/team/invitations")[0]?.body).toEqual({ email: "zoe@acme.test", role: "viewer" });
    await waitFor(() => expect(api.find("GET", "/api/team/invitations")).toHaveLength(2)); // refreshed
  });

  it("says when the invitation was emailed, and shows the server's refusal", async () => {
    let answer = jsonResponse(409, { error: "already_member", detail: "This person is already a member of the team." });
    renderTeam("owner", { "POST /api/team/invitations": () => answer });
    await userEvent.click(await screen.findByTestId("team-invite-button"));
    await userEvent.type(screen.getByTestId("invite-email"), "ana@acme.test");
    await userEvent.click(screen.getByTestId("invite-submit"));
    expect(await screen.findByTestId("invite-error")).toHaveTextContent("already a member");

    answer = jsonResponse(201, { ...invitation(), invite_url: "http://x/invite/t", email_sent: true });
    await userEvent.click(screen.getByTestId("invite-submit"));
    expect(await screen.findByTestId("invite-email-sent")).toHaveTextContent("We emailed the invitation to new@acme.test");
  });

  it("changes a role at once and shows why when the server refuses", async () => {
    const { api } = renderTeam("owner");
    const select = await screen.findByTestId("member-role-select-ana@acme.test");
    await userEvent.selectOptions(select, "viewer");
    await waitFor(() => expect(screen.getByTestId("member-role-select-ana@acme.test")).toHaveValue("viewer"));
    expect(api.find("PATCH", "/api/team/members/ana")[0]?.body).toEqual({ role: "viewer" });
    await waitFor(() => expect(api.find("GET", "/api/auth/me").length).toBeGreaterThan(1)); // own permissions re-read
  });

  it("shows the last-owner refusal", async () => {
    renderTeam("owner", {
      "PATCH /api/team/members/u1": () =>
        jsonResponse(409, { error: "last_owner", detail: "The last owner cannot be demoted: make someone else an owner first." }),
    });
    await userEvent.selectOptions(await screen.findByTestId("member-role-select-owner@acme.test"), "admin");
    expect(await screen.findByTestId("team-error")).toHaveTextContent("The last owner cannot be demoted");
  });

  it("removes a member after confirming", async () => {
    const { api } = renderTeam("owner");
    await userEvent.click(await screen.findByTestId("member-remove-ana@acme.test"));
    expect(await screen.findByRole("alertdialog")).toHaveTextContent("Remove Ana?");
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(api.find("DELETE", "/api/team/members/ana")).toHaveLength(0);

    await userEvent.click(screen.getByTestId("member-remove-ana@acme.test"));
    await userEvent.click(await screen.findByTestId("member-remove-confirm"));
    await waitFor(() => expect(screen.queryByTestId("member-row-ana@acme.test")).not.toBeInTheDocument());
    expect(api.find("DELETE", "/api/team/members/ana")).toHaveLength(1);
  });

  it("signs out a member who leaves", async () => {
    setTokens({ accessToken: "a", refreshToken: "r" });
    renderTeam("admin", { "DELETE /api/team/members/u1": () => new Response(null, { status: 204 }) });
    await userEvent.click(await screen.findByTestId("member-remove-admin@acme.test"));
    expect(await screen.findByRole("alertdialog")).toHaveTextContent("Leave this workspace?");
    await userEvent.click(screen.getByTestId("member-remove-confirm"));
    await waitFor(() => expect(getTokens()).toBeNull());
  });

  it("gives an admin no owner powers: no owner option, owners untouchable, no transfer", async () => {
    renderTeam("admin");
    const select = await screen.findByTestId("member-role-select-ana@acme.test");
    expect(options(select)).toEqual(["admin", "agent", "viewer"]);
    expect(screen.queryByTestId("member-role-select-boss@acme.test")).not.toBeInTheDocument();
    expect(screen.queryByTestId("member-remove-boss@acme.test")).not.toBeInTheDocument();
    expect(within(row("boss@acme.test")).getByTestId("member-role-boss@acme.test")).toHaveTextContent("Owner");
    // Their own role is not theirs to change.
    expect(screen.queryByTestId("member-role-select-admin@acme.test")).not.toBeInTheDocument();
    expect(screen.queryByTestId("team-transfer-button")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("team-invite-button"));
    expect(options(screen.getByTestId("invite-role"))).toEqual(["admin", "agent", "viewer"]);
  });

  it.each(["agent", "viewer"] as const)("shows a %s the team read-only", async (role) => {
    const { api } = renderTeam(role);
    await screen.findByTestId("member-row-ana@acme.test");
    expect(screen.getByTestId("member-role-ana@acme.test")).toHaveTextContent("Agent");
    expect(screen.queryByTestId("team-invite-button")).not.toBeInTheDocument();
    expect(screen.queryByTestId("team-transfer-button")).not.toBeInTheDocument();
    expect(screen.queryAllByTestId(/^member-role-select-/)).toHaveLength(0);
    expect(screen.queryAllByTestId(/^member-remove-/)).toHaveLength(0);
    expect(screen.queryByTestId("pending-invitations")).not.toBeInTheDocument();
    expect(screen.getByText("Only owners and admins can invite people or change roles.")).toBeInTheDocument();
    expect(api.find("GET", "/api/team/invitations")).toHaveLength(0);
  });

  it("lists pending invitations with their expiry and revokes one", async () => {
    const { api } = renderTeam("owner", {}, [
      invitation(),
      invitation({ id: "i2", email: "old@acme.test", role: "viewer", expired: true, expires_at: "2026-01-01T00:00:00Z" }),
    ]);
    const current = await screen.findByTestId("invitation-row-new@acme.test");
    expect(current).toHaveTextContent("Agent");
    expect(current).toHaveTextContent("Invited by Olivia");
    expect(within(current).getByTestId("invitation-expiry")).toHaveTextContent("Expires in 2d");
    expect(within(screen.getByTestId("invitation-row-old@acme.test")).getByTestId("invitation-expired")).toBeInTheDocument();

    await userEvent.click(screen.getByTestId("invitation-revoke-new@acme.test"));
    await waitFor(() => expect(screen.queryByTestId("invitation-row-new@acme.test")).not.toBeInTheDocument());
    expect(api.find("DELETE", "/api/team/invitations/i1")).toHaveLength(1);
  });

  it("lets an owner transfer ownership, then shows them as an admin", async () => {
    const { api } = renderTeam("owner");
    await userEvent.click(await screen.findByTestId("team-transfer-button"));
    const submit = screen.getByTestId("transfer-submit");
    expect(submit).toBeDisabled();
    expect(options(screen.getByTestId("transfer-member"))).toEqual(["", "boss", "ana", "vic"]); // never yourself
    await userEvent.selectOptions(screen.getByTestId("transfer-member"), "ana");
    expect(submit).toHaveTextContent("Make Ana the owner");
    await userEvent.click(submit);

    await waitFor(() => expect(screen.queryByTestId("team-transfer-button")).not.toBeInTheDocument());
    expect(api.find("POST", "/api/team/transfer-ownership")[0]?.body).toEqual({ user_id: "ana" });
    expect(screen.queryByTestId("member-role-select-owner@acme.test")).not.toBeInTheDocument();
  });
});
