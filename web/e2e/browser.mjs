// Debian's Chromium through playwright-core: nothing is ever downloaded.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launch() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (scripts/test-web does)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Sandboxed frames (HTML plots) in their own process are left out of
    // full-page screenshots; keep them in the page's process for tests.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-features=IsolateSandboxedIframes'],
  });
}
