import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './cli.js';

/** Debian's chromium (`.ci/run` installs it when missing); SHARDTRAIN_CHROMIUM overrides. */
export const CHROMIUM = process.env.SHARDTRAIN_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots of the browser tests (ignored by git). */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/**
 * Flags for a closed network: without the background-networking ones chromium keeps trying to
 * reach Google's update, sync and field-trial servers.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One headless chromium per test file, with a fresh profile directory. */
export async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium), as .ci/run does`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'shardtrain-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page that records every console error and uncaught exception. */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  return { page, errors };
}

/** Points per chart as uPlot holds them (x values), keyed by chart id. */
export function chartPoints(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const charts = (globalThis as unknown as { shardtrainCharts: Record<string, { data: unknown[][] }> })
      .shardtrainCharts;
    return Object.fromEntries(Object.entries(charts).map(([id, u]) => [id, u.data[0]!.length]));
  });
}
