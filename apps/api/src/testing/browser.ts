// The browser tests' one home for Chromium (Debian's, through playwright-core): where it and the
// built web app are, what is missing for a test to run, and how it is launched (ENVIRONMENT.md's
// flags: this machine's closed network refuses Chromium's background connections).
import { labPrerequisites } from '@netatlas/lab-testing';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env['NETATLAS_CHROMIUM'] ?? '/usr/bin/chromium';
export const WEB_DIR = fileURLToPath(new URL('../../../../dist/apps/web', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** where screenshots go: tmp/screenshots/, or $NETATLAS_SCREENSHOTS */
export const SHOTS = resolve(ROOT, process.env['NETATLAS_SCREENSHOTS'] || 'tmp/screenshots');

/** What a browser test on a lab needs from this machine; empty when it can run. */
export function browserLabPrerequisites(): string[] {
  const missing = [...labPrerequisites()];
  if (!existsSync(CHROMIUM)) missing.push(`chromium at ${CHROMIUM} (Debian package chromium)`);
  if (!existsSync(`${WEB_DIR}/index.html`)) missing.push(`the built web app in ${WEB_DIR} (npx nx build web)`);
  return missing;
}

/** Chromium headless with a page of the size the screenshots are taken at. */
export async function launchBrowser(): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await mkdir(SHOTS, { recursive: true });
  return { browser, page };
}
