import { resolve } from "node:path";
import { defineConfig } from "vite";

// Served under /console/ locally and from the bucket's root path /console/ behind CloudFront.
// Two pages: the coordinator console and the patient's signing page (which carries none of the console).
export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: { console: resolve(__dirname, "index.html"), sign: resolve(__dirname, "sign.html") },
    },
  },
});
