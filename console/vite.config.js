import { defineConfig } from "vite";

// Served under /admin/ by the local stack and by CloudFront alike, so one build fits both.
export default defineConfig({
  base: "/admin/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Chart.js, jsQR, the QR encoder and the xlsx reader load only on the pages that use them.
    chunkSizeWarningLimit: 300,
  },
});
