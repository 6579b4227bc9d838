import { defineConfig } from "vitest/config";

// The pure modules (smoothing, reduce, axes, colors, protocol) need no DOM: plain node.
export default defineConfig({
  test: {
    include: ["tests/js/**/*.test.ts"],
    environment: "node",
  },
});
