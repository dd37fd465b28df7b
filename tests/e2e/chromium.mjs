// Debian's Chromium for run.mjs and bench.mjs: WebGPU through SwiftShader (no GPU here), and the
// flags that keep a closed network quiet. No browser is downloaded.
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = ["--enable-unsafe-webgpu", "--no-sandbox", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
  "--disable-dev-shm-usage"];

export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
