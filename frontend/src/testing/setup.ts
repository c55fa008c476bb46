import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { clearTokens } from "@/lib/auth";

afterEach(() => {
  cleanup();
  clearTokens();
  localStorage.clear();
});
