import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import type { SavedReply } from "@/lib/api/types";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { SavedRepliesManager } from "./saved-replies-manager";

function reply(overrides: Partial<SavedReply>): SavedReply {
  return {
    id: "r1",
    shortcut: "thanks",
    title: "Thank you",
    text: "Thank you for your message!",
    created_by_user_id: null,
    created_at: "2026-11-20T10:00:00Z",
    updated_at: "2026-11-20T10:00:00Z",
    ...overrides,
  };
}

function renderManager(handlers: Record<string, StubHandler> = {}, role: "agent" | "viewer" = "agent") {
  let replies = [reply({}), reply({ id: "r2", shortcut: "hours", title: "Opening hours", text: "We are open 9-17." })];
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/inbox/saved-replies": () => jsonResponse(200, { items: replies, next_cursor: null }),
    "POST /api/inbox/saved-replies": ({ body }) => {
      const created = reply({ id: "r3", ...(body as Partial<SavedReply>) });
      replies = [...replies, created];
      return jsonResponse(201, created);
    },
    "PATCH /api/inbox/saved-replies/r2": ({ body }) => {
      replies = replies.map((r) => (r.id === "r2" ? { ...r, ...(body as Partial<SavedReply>) } : r));
      return jsonResponse(200, replies[1]);
    },
    "DELETE /api/inbox/saved-replies/r1": () => {
      replies = replies.filter((r) => r.id !== "r1");
      return new Response(null, { status: 204 });
    },
    ...handlers,
  });
  renderWithProviders(<SavedRepliesManager />);
  return { api };
}

const rows = () => screen.getAllByTestId("saved-reply-row").map((r) => r.dataset.shortcut);

beforeEach(() => stubLayoutApis());

describe("SavedRepliesManager", () => {
  it("lists the team's saved replies", async () => {
    renderManager();
    await waitFor(() => expect(rows()).toEqual(["thanks", "hours"]));
    expect(screen.getAllByTestId("saved-reply-row")[1]).toHaveTextContent("/hoursOpening hoursWe are open 9-17.");
  });

  it("creates one, checking the fields first and normalising the shortcut", async () => {
    const { api } = renderManager();
    await userEvent.click(await screen.findByTestId("saved-reply-new"));
    const form = await screen.findByTestId("saved-reply-form");
    await userEvent.click(within(form).getByTestId("saved-reply-save"));
    expect(form).toHaveTextContent("Give it a shortcut.");
    expect(form).toHaveTextContent("Give it a title.");
    expect(form).toHaveTextContent("Write the reply's text.");

    await userEvent.type(within(form).getByTestId("saved-reply-shortcut"), "Bad Shortcut");
    await userEvent.click(within(form).getByTestId("saved-reply-save"));
    expect(form).toHaveTextContent("Use a-z, 0-9, '-' and '_'");
    expect(api.find("POST", "/api/inbox/saved-replies")).toHaveLength(0);

    await userEvent.clear(within(form).getByTestId("saved-reply-shortcut"));
    await userEvent.type(within(form).getByTestId("saved-reply-shortcut"), "Refund");
    await userEvent.type(within(form).getByTestId("saved-reply-title"), "Refund policy");
    await userEvent.type(within(form).getByTestId("saved-reply-text"), "Refunds take 5 days.");
    await userEvent.click(within(form).getByTestId("saved-reply-save"));

    await waitFor(() => expect(screen.queryByTestId("saved-reply-form")).toBeNull());
    expect(api.find("POST", "/api/inbox/saved-replies")[0]?.body).toEqual({ shortcut: "refund", title: "Refund policy", text: "Refunds take 5 days." });
    await waitFor(() => expect(rows()).toEqual(["thanks", "hours", "refund"]));
  });

  it("shows the server's refusal (a shortcut in use) and keeps the form", async () => {
    renderManager({
      "POST /api/inbox/saved-replies": () => jsonResponse(409, { error: "shortcut_taken", detail: "The shortcut /thanks is already in use." }),
    });
    await userEvent.click(await screen.findByTestId("saved-reply-new"));
    const form = await screen.findByTestId("saved-reply-form");
    await userEvent.type(within(form).getByTestId("saved-reply-shortcut"), "thanks");
    await userEvent.type(within(form).getByTestId("saved-reply-title"), "Again");
    await userEvent.type(within(form).getByTestId("saved-reply-text"), "Thanks!");
    await userEvent.click(within(form).getByTestId("saved-reply-save"));
    expect(await within(form).findByTestId("saved-reply-error")).toHaveTextContent("The shortcut /thanks is already in use.");
  });

  it("edits and deletes", async () => {
    const { api } = renderManager();
    await waitFor(() => expect(rows()).toHaveLength(2));
    await userEvent.click(within(screen.getAllByTestId("saved-reply-row")[1] as HTMLElement).getByTestId("saved-reply-edit"));
    const form = await screen.findByTestId("saved-reply-form");
    expect(within(form).getByTestId("saved-reply-shortcut")).toHaveValue("hours");
    await userEvent.clear(within(form).getByTestId("saved-reply-text"));
    await userEvent.type(within(form).getByTestId("saved-reply-text"), "Open 8-18.");
    await userEvent.click(within(form).getByTestId("saved-reply-save"));
    await waitFor(() => expect(api.find("PATCH", "/api/inbox/saved-replies/r2")).toHaveLength(1));
    expect(api.find("PATCH", "/api/inbox/saved-replies/r2")[0]?.body).toEqual({ shortcut: "hours", title: "Opening hours", text: "Open 8-18." });

    await userEvent.click(within(screen.getAllByTestId("saved-reply-row")[0] as HTMLElement).getByTestId("saved-reply-delete"));
    await userEvent.click(await screen.findByTestId("saved-reply-confirm-delete"));
    await waitFor(() => expect(rows()).toEqual(["hours"]));
    expect(api.find("DELETE", "/api/inbox/saved-replies/r1")).toHaveLength(1);
  });

  it("offers the manage controls by the saved_replies:manage permission, not by the role's name", async () => {
    const agentWithout = { ...buildMe("agent"), permissions: buildMe("agent").permissions.filter((p) => p !== "saved_replies:manage") };
    renderManager({ "GET /api/auth/me": () => jsonResponse(200, agentWithout) });
    await waitFor(() => expect(rows()).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("saved-reply-new")).toBeNull();
    expect(screen.queryByTestId("saved-reply-edit")).toBeNull();
    expect(screen.queryByTestId("saved-reply-delete")).toBeNull();
  });

  it("is read-only for viewers", async () => {
    renderManager({}, "viewer");
    await waitFor(() => expect(rows()).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId("saved-reply-new")).toBeNull();
    expect(screen.queryByTestId("saved-reply-edit")).toBeNull();
  });
});
