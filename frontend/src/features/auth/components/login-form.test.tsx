import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { getTokens } from "@/lib/auth";
import { jsonResponse } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";

import { LoginForm } from "./login-form";

describe("LoginForm", () => {
  it("shows the server's detail when the credentials are refused", async () => {
    const fetch = vi.fn(async (_request: Request) =>
      jsonResponse(401, { error: "invalid_credentials", detail: "Incorrect email or password." }),
    );
    vi.stubGlobal("fetch", fetch);
    const onSuccess = vi.fn();
    renderWithProviders(<LoginForm onSuccess={onSuccess} />);

    await userEvent.type(screen.getByTestId("login-email"), "owner@acme.test");
    await userEvent.type(screen.getByTestId("login-password"), "wrong-password");
    await userEvent.click(screen.getByTestId("login-submit"));

    expect(await screen.findByRole("alert")).toHaveTextContent("Incorrect email or password.");
    expect(onSuccess).not.toHaveBeenCalled();
    expect(getTokens()).toBeNull();
    const request = fetch.mock.calls[0]?.[0] as Request;
    expect(new URL(request.url).pathname).toBe("/api/auth/login");
    expect(await request.json()).toEqual({ email: "owner@acme.test", password: "wrong-password" });
  });

  it("stores the token pair and continues on success", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => jsonResponse(200, { access_token: "a1", refresh_token: "r1", token_type: "bearer" })),
    );
    const onSuccess = vi.fn();
    renderWithProviders(<LoginForm onSuccess={onSuccess} />);

    await userEvent.type(screen.getByTestId("login-email"), "owner@acme.test");
    await userEvent.type(screen.getByTestId("login-password"), "correct-horse-battery");
    await userEvent.click(screen.getByTestId("login-submit"));

    await vi.waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(getTokens()).toEqual({ accessToken: "a1", refreshToken: "r1" });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("asks for both fields before calling the server", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />);

    await userEvent.click(screen.getByTestId("login-submit"));

    expect(await screen.findByRole("alert")).toHaveTextContent("Enter your email and password.");
    expect(fetch).not.toHaveBeenCalled();
  });
});
