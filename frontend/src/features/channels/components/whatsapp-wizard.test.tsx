import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { PhoneNumber } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import type * as RealtimeModule from "@/lib/realtime";
import { stubApi, type StubHandler } from "@/testing/api-stub";
import { buildChannel, buildMe, jsonResponse } from "@/testing/fixtures";
import { renderApp } from "@/testing/render-app";

vi.mock("@/lib/realtime", async (importOriginal) => ({
  ...(await importOriginal<typeof RealtimeModule>()),
  useRealtimeConnection: () => "connected",
}));

const ACCOUNT = "/api/meta/accounts/acc-9";
const CONNECT = `${ACCOUNT}/whatsapp/connect`;

const number = (overrides: Partial<PhoneNumber> & { id: string }): PhoneNumber => ({
  display_phone_number: "+1 555 0100",
  verified_name: "Acme",
  quality_rating: "GREEN",
  status: "CONNECTED",
  connected: null,
  ...overrides,
});

const NUMBERS: PhoneNumber[] = [
  number({ id: "n-here", display_phone_number: "+1 555 0101", connected: "here" }),
  number({ id: "n-free", display_phone_number: "+1 555 0102", verified_name: "Acme Support", quality_rating: "YELLOW" }),
  number({
    id: "n-else",
    display_phone_number: "+1 555 0103",
    connected: "elsewhere",
    quality_rating: null,
    verified_name: null,
  }),
];

function setup(handlers: Record<string, StubHandler> = {}) {
  setTokens({ accessToken: "a", refreshToken: "r" });
  return stubApi({
    "GET /api/auth/me": () => jsonResponse(200, buildMe("admin")),
    "GET /api/channels": () => jsonResponse(200, { items: [], next_cursor: null }),
    [`GET ${ACCOUNT}/businesses`]: () =>
      jsonResponse(200, { items: [{ id: "biz-1", name: "Acme Ltd" }, { id: "biz-2", name: "Agency" }] }),
    [`GET ${ACCOUNT}/businesses/biz-2/whatsapp-accounts`]: () =>
      jsonResponse(200, {
        items: [
          { id: "waba-own", name: "Agency WA", ownership: "owned" },
          { id: "waba-cli", name: "Client WA", ownership: "client" },
        ],
      }),
    [`GET ${ACCOUNT}/whatsapp-accounts/waba-cli/phone-numbers`]: () => jsonResponse(200, { items: NUMBERS }),
    ...handlers,
  });
}

function pick(testId: string, attribute: string, value: string): HTMLElement {
  const found = screen.getAllByTestId(testId).find((el) => el.getAttribute(attribute) === value);
  if (found === undefined) throw new Error(`no ${testId} with ${attribute}=${value}`);
  return found;
}

const currentStep = () =>
  screen.getAllByTestId("wizard-step").find((s) => s.getAttribute("aria-current") === "step")?.dataset.step;

describe("WhatsApp wizard", () => {
  it("walks business → WABA → number and posts the choice with make_primary", async () => {
    const connected = buildChannel({
      id: "ch-wa",
      kind: "whatsapp",
      name: "Acme Support",
      display_phone_number: "+1 555 0102",
      is_primary: true,
    });
    const api = setup({ [`POST ${CONNECT}`]: () => jsonResponse(201, connected) });
    const { router } = renderApp("/channels/connect/whatsapp?account=acc-9");

    await screen.findAllByTestId("business-option");
    expect(currentStep()).toBe("business");
    await userEvent.click(pick("business-option", "data-business-id", "biz-2"));

    await screen.findAllByTestId("waba-option");
    expect(currentStep()).toBe("waba");
    expect(pick("waba-option", "data-waba-id", "waba-own")).toHaveTextContent("Owned");
    expect(pick("waba-option", "data-waba-id", "waba-cli")).toHaveTextContent("Client");
    await userEvent.click(pick("waba-option", "data-waba-id", "waba-cli"));

    await screen.findAllByTestId("number-option");
    expect(currentStep()).toBe("number");
    const free = pick("number-option", "data-number-id", "n-free");
    expect(free).toHaveTextContent("+1 555 0102");
    expect(free).toHaveTextContent("Acme Support");
    expect(within(free).getByTestId("number-quality")).toHaveAttribute("data-quality", "YELLOW");
    expect(pick("number-option", "data-number-id", "n-here")).toBeDisabled();
    expect(pick("number-option", "data-number-id", "n-here")).toHaveTextContent("Already connected");
    expect(pick("number-option", "data-number-id", "n-else")).toBeDisabled();
    expect(within(pick("number-option", "data-number-id", "n-else")).getByTestId("number-quality")).toHaveAttribute(
      "data-quality",
      "UNKNOWN",
    );
    expect(pick("number-option", "data-number-id", "n-else")).toHaveTextContent("Connected to another Parley workspace");
    expect(screen.getByTestId("connect-number-submit")).toBeDisabled();

    await userEvent.click(free);
    expect(free).toHaveAttribute("aria-checked", "true");
    await userEvent.click(screen.getByTestId("make-primary"));
    await userEvent.click(screen.getByTestId("connect-number-submit"));

    await waitFor(() => expect(router.state.location.pathname).toBe("/channels"));
    expect(api.find("POST", CONNECT)[0]?.body).toEqual({
      waba_id: "waba-cli",
      phone_number_id: "n-free",
      make_primary: true,
    });
    expect(api.find("GET", `${ACCOUNT}/businesses/biz-2/whatsapp-accounts`)).toHaveLength(1);
    expect(await screen.findByTestId("connect-success")).toHaveTextContent("Connected +1 555 0102.");
  });

  it("goes back a step with Back, and make_primary stays false unless ticked", async () => {
    const api = setup({
      [`GET ${ACCOUNT}/whatsapp-accounts/waba-own/phone-numbers`]: () =>
        jsonResponse(200, { items: [number({ id: "n-own" })] }),
      [`POST ${CONNECT}`]: () => jsonResponse(201, buildChannel({ kind: "whatsapp" })),
    });
    renderApp("/channels/connect/whatsapp?account=acc-9");

    await screen.findAllByTestId("business-option");
    await userEvent.click(pick("business-option", "data-business-id", "biz-2"));
    await screen.findAllByTestId("waba-option");
    await userEvent.click(pick("waba-option", "data-waba-id", "waba-cli"));
    await screen.findAllByTestId("number-option");

    await userEvent.click(screen.getByTestId("wizard-back"));
    expect(currentStep()).toBe("waba");
    await userEvent.click(pick("waba-option", "data-waba-id", "waba-own"));
    await userEvent.click(await screen.findByTestId("number-option"));
    await userEvent.click(screen.getByTestId("connect-number-submit"));

    await waitFor(() => expect(api.find("POST", CONNECT)).toHaveLength(1));
    expect(api.find("POST", CONNECT)[0]?.body).toEqual({
      waba_id: "waba-own",
      phone_number_id: "n-own",
      make_primary: false,
    });
  });

  it("shows a 409's detail and stays on the number step", async () => {
    setup({
      [`POST ${CONNECT}`]: () =>
        jsonResponse(409, {
          error: "number_connected_elsewhere",
          detail: "+1 555 0102 is already connected to another Parley workspace.",
        }),
    });
    const { router } = renderApp("/channels/connect/whatsapp?account=acc-9");

    await screen.findAllByTestId("business-option");
    await userEvent.click(pick("business-option", "data-business-id", "biz-2"));
    await screen.findAllByTestId("waba-option");
    await userEvent.click(pick("waba-option", "data-waba-id", "waba-cli"));
    await userEvent.click(await screen.findByText("+1 555 0102"));
    await userEvent.click(screen.getByTestId("connect-number-submit"));

    expect(await screen.findByTestId("connect-number-error")).toHaveTextContent(
      "+1 555 0102 is already connected to another Parley workspace.",
    );
    expect(router.state.location.pathname).toBe("/channels/connect/whatsapp");
    expect(currentStep()).toBe("number");
  });

  it("explains when the Facebook user has no business", async () => {
    setup({ [`GET ${ACCOUNT}/businesses`]: () => jsonResponse(200, { items: [] }) });
    renderApp("/channels/connect/whatsapp?account=acc-9");

    expect(await screen.findByText("No businesses found")).toBeInTheDocument();
    expect(screen.queryByTestId("business-option")).toBeNull();
  });
});
