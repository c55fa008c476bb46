import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { MetaPage } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const PAGES = "/api/meta/accounts/acc-1/pages";
const CONNECT = "/api/meta/accounts/acc-1/pages/connect";

const metaPage = (overrides: Partial<MetaPage> & { id: string }): MetaPage => ({
  name: `Page ${overrides.id}`,
  category: "Local business",
  can_message: true,
  connected: null,
  ...overrides,
});

const pages: MetaPage[] = [
  metaPage({ id: "p-free", name: "Bakery" }),
  metaPage({ id: "p-elsewhere", name: "Shared Page", connected: "elsewhere" }),
  metaPage({ id: "p-here", name: "Our Page", connected: "here" }),
  metaPage({ id: "p-noperm", name: "Read-only Page", can_message: false }),
  metaPage({ id: "p-free-2", name: "Café", category: null }),
];

function setup(handlers: Record<string, StubHandler> = {}, role: "owner" | "agent" = "owner") {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe(role)),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    [`GET ${PAGES}`]: () => jsonResponse(200, { items: pages, next_cursor: null }),
    ...handlers,
  });
}

function option(pageId: string): HTMLElement {
  const found = screen.getAllByTestId("page-option").find((o) => o.dataset.pageId === pageId);
  if (found === undefined) throw new Error(`no option ${pageId}`);
  return found;
}

const checkbox = (pageId: string) => within(option(pageId)).getByRole("checkbox");

describe("page picker", () => {
  it("disables pages connected elsewhere, already here, or without messaging permission, saying why", async () => {
    setup();
    renderApp("/channels/connect/messenger?account=acc-1");

    expect(await screen.findByRole("heading", { name: "Choose Pages to connect" })).toBeInTheDocument();
    await screen.findAllByTestId("page-option");

    expect(checkbox("p-free")).toBeEnabled();
    expect(checkbox("p-free-2")).toBeEnabled();
    expect(checkbox("p-elsewhere")).toBeDisabled();
    expect(option("p-elsewhere")).toHaveTextContent("Connected to another Parley workspace");
    expect(checkbox("p-here")).toBeDisabled();
    expect(option("p-here")).toHaveTextContent("Already connected");
    expect(checkbox("p-noperm")).toBeDisabled();
    expect(option("p-noperm")).toHaveTextContent("Missing MESSAGING permission");

    // Clicking a disabled row selects nothing.
    await userEvent.click(within(option("p-elsewhere")).getByText("Shared Page"));
    expect(checkbox("p-elsewhere")).not.toBeChecked();
    expect(screen.getByTestId("connect-pages-submit")).toBeDisabled();
    expect(screen.getByTestId("connect-pages-submit")).toHaveTextContent("Connect pages");
  });

  it("posts the chosen page ids with import_history and lands on /channels with a success alert", async () => {
    const connected = [
      buildChannel({ id: "ch-1", name: "Bakery", external_id: "p-free" }),
      buildChannel({ id: "ch-2", name: "Café", external_id: "p-free-2" }),
    ];
    const api = setup({ [`POST ${CONNECT}`]: () => jsonResponse(201, { items: connected }) });
    const { router } = renderApp("/channels/connect/messenger?account=acc-1");
    await screen.findAllByTestId("page-option");

    await userEvent.click(checkbox("p-free"));
    expect(screen.getByTestId("connect-pages-submit")).toHaveTextContent("Connect 1 page");
    // The whole row is the label: clicking the name ticks it too.
    await userEvent.click(within(option("p-free-2")).getByText("Café"));
    expect(screen.getByTestId("connect-pages-submit")).toHaveTextContent("Connect 2 pages");
    await userEvent.click(screen.getByTestId("import-history"));
    expect(screen.getByTestId("import-history")).toBeChecked();

    await userEvent.click(screen.getByTestId("connect-pages-submit"));

    await waitFor(() => expect(router.state.location.pathname).toBe("/channels"));
    const [post] = api.find("POST", CONNECT);
    expect(post?.body).toEqual({ page_ids: ["p-free", "p-free-2"], import_history: true });
    expect(await screen.findByTestId("connect-success")).toHaveTextContent("Connected Bakery and Café.");
  });

  it("sends import_history false unless asked, and unticking a page drops it", async () => {
    const api = setup({ [`POST ${CONNECT}`]: () => jsonResponse(201, { items: [buildChannel({ name: "Café" })] }) });
    renderApp("/channels/connect/messenger?account=acc-1");
    await screen.findAllByTestId("page-option");

    await userEvent.click(checkbox("p-free"));
    await userEvent.click(checkbox("p-free-2"));
    await userEvent.click(checkbox("p-free"));
    await userEvent.click(screen.getByTestId("connect-pages-submit"));

    await waitFor(() => expect(api.find("POST", CONNECT)).toHaveLength(1));
    expect(api.find("POST", CONNECT)[0]?.body).toEqual({ page_ids: ["p-free-2"], import_history: false });
  });

  it("on 409 shows the detail and reloads the pages, so the taken one is disabled", async () => {
    let pageLoads = 0;
    const api = setup({
      [`GET ${PAGES}`]: () => {
        pageLoads += 1;
        const now = pageLoads === 1 ? pages : pages.map((p) => (p.id === "p-free" ? { ...p, connected: "elsewhere" as const } : p));
        return jsonResponse(200, { items: now, next_cursor: null });
      },
      [`POST ${CONNECT}`]: () =>
        jsonResponse(409, {
          error: "page_connected_elsewhere",
          detail: "Bakery is already connected to another Parley workspace.",
        }),
    });
    const { router } = renderApp("/channels/connect/messenger?account=acc-1");
    await screen.findAllByTestId("page-option");

    await userEvent.click(checkbox("p-free"));
    await userEvent.click(screen.getByTestId("connect-pages-submit"));

    expect(await screen.findByTestId("connect-pages-error")).toHaveTextContent(
      "Bakery is already connected to another Parley workspace.",
    );
    await waitFor(() => expect(checkbox("p-free")).toBeDisabled());
    expect(checkbox("p-free")).not.toBeChecked();
    expect(screen.getByTestId("connect-pages-submit")).toBeDisabled();
    expect(router.state.location.pathname).toBe("/channels/connect/messenger");
    expect(api.find("GET", PAGES)).toHaveLength(2);
  });

  it("explains an empty list", async () => {
    setup({ [`GET ${PAGES}`]: () => jsonResponse(200, { items: [], next_cursor: null }) });
    renderApp("/channels/connect/messenger?account=acc-1");

    expect(await screen.findByText("No Pages to connect")).toBeInTheDocument();
    expect(screen.getByText(/manages no Pages, or did not grant Parley access/)).toBeInTheDocument();
    expect(screen.queryByTestId("connect-pages-submit")).toBeNull();
  });

  it("shows the server's detail when the pages cannot be loaded", async () => {
    setup({
      [`GET ${PAGES}`]: () =>
        jsonResponse(404, { error: "meta_account_not_found", detail: "This Facebook sign-in has expired." }),
    });
    renderApp("/channels/connect/messenger?account=acc-1");

    expect(await screen.findByTestId("connect-load-error")).toHaveTextContent("This Facebook sign-in has expired.");
  });

  it("says the link is incomplete without an account", async () => {
    const api = setup();
    renderApp("/channels/connect/messenger");

    expect(await screen.findByText("This link has expired or is incomplete")).toBeInTheDocument();
    expect(api.calls().some((c) => c.includes("/api/meta/"))).toBe(false);
  });

  it("does not let an agent connect", async () => {
    setup({}, "agent");
    renderApp("/channels/connect/messenger?account=acc-1");
    await screen.findAllByTestId("page-option");
    await waitFor(() => expect(screen.getByTestId("user-menu")).toHaveTextContent("agent@acme.test"));

    await userEvent.click(checkbox("p-free"));

    expect(screen.getByTestId("connect-pages-submit")).toBeDisabled();
    expect(screen.getByText("Only owners and admins of this workspace can connect Pages.")).toBeInTheDocument();
  });

  it("a signed-out visitor coming back from Facebook signs in and lands on the picker", async () => {
    stubApi({
      "POST /api/auth/login": () => jsonResponse(200, { access_token: "a1", refresh_token: "r1", token_type: "bearer" }),
      "GET /api/auth/me": () => jsonResponse(200, buildMe("owner")),
      "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
      [`GET ${PAGES}`]: () => jsonResponse(200, { items: pages, next_cursor: null }),
    });
    const { router } = renderApp("/channels/connect/messenger?account=acc-1");

    await userEvent.type(await screen.findByTestId("login-email"), "owner@acme.test");
    await userEvent.type(screen.getByTestId("login-password"), "correct-horse-battery");
    await userEvent.click(screen.getByTestId("login-submit"));

    expect(await screen.findAllByTestId("page-option")).toHaveLength(pages.length);
    expect(router.state.location.pathname + router.state.location.search).toBe(
      "/channels/connect/messenger?account=acc-1",
    );
  });
});
