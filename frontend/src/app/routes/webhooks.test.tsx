import { screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { stubApi } from "@/testing/api-stub";
import { stubLayoutApis } from "@/testing/dom-stubs";
import { buildMe, jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { WebhooksRoute } from "./webhooks";

function renderRoute(role: "owner" | "admin" | "agent" | "viewer") {
  const api = stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/webhook-endpoints": () => jsonResponse(200, { items: [], next_cursor: null }),
  });
  renderWithProviders(<WebhooksRoute />);
  return api;
}

beforeEach(() => stubLayoutApis());

describe("WebhooksRoute", () => {
  it.each(["owner", "admin"] as const)("lets an %s manage endpoints", async (role) => {
    renderRoute(role);
    expect(await screen.findByTestId("webhook-add")).toBeEnabled();
    expect(await screen.findByText("No endpoints yet")).toBeInTheDocument();
  });

  it.each(["agent", "viewer"] as const)("tells an %s it is for admins, without asking the API", async (role) => {
    const api = renderRoute(role);
    expect(await screen.findByText("Webhooks are for owners and admins")).toBeInTheDocument();
    expect(screen.queryByTestId("webhook-add")).toBeNull();
    expect(api.find("GET", "/api/webhook-endpoints")).toHaveLength(0);
  });
});
