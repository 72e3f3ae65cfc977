import { test, expect, Page } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OwnServer, startAlone } from './server';

/** The submit button's background in one gallery cell. */
async function brandIn(page: Page, screen: string, state: string, theme: string) {
  const frame = page.frameLocator(`iframe[src*="screen=${screen}&state=${state}&theme=${theme}"]`);
  const button = frame.getByTestId('submit');
  await expect(button).toBeVisible();
  return button.evaluate((el) => getComputedStyle(el).backgroundColor);
}

/** The heading each screen's page carries (a state that ends on another page says so). */
const HEADINGS: Record<string, string> = {
  deposit: 'Deposit',
  'deposit/success': 'Done',
  kyc: 'Verify your identity',
  kyc_upload: 'Upload a document',
  kyc_status: 'Verification status',
  action: 'Your request',
  withdraw: 'Withdraw funds',
  chat: 'Support',
  token_error: 'This link has expired',
  'done/success': 'Done',
  'done/error': 'Not completed',
};

test('the gallery shows every screen state in both palettes and follows a theme edit without a restart', async ({ browser }) => {
  test.setTimeout(120_000);
  // A server of its own, with its own copy of the theme: the edits below are
  // seen by no other test.
  const themeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-inapp-gallery-theme-'));
  const themeFile = path.join(themeDir, 'theme.toml');
  fs.copyFileSync(path.resolve(__dirname, '..', '..', 'theme.toml'), themeFile);
  const original = fs.readFileSync(themeFile, 'utf8');
  const server = new OwnServer(3600 + test.info().workerIndex, { INAPP_BROKER__THEME_FILE: themeFile });
  await startAlone(server);
  const context = await browser.newContext({ baseURL: server.base });
  try {
    const page = await context.newPage();
    const views = new Map<string, number>();
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/gallery/view') views.set(r.url(), r.status());
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/gallery');
    const cells = page.getByTestId('gallery-cell');
    await expect(cells).toHaveCount(34);
    const frames = page.locator('iframe');
    await expect(frames).toHaveCount(68);

    // Every frame rendered its own screen, in its state and palette, not an
    // error page: its document's main landmark carries the screen's heading.
    // (Read from the page in one go: the frames are same-origin.)
    const rendered = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('iframe')].map((f) => {
          const d = f.contentDocument;
          const loaded = !!d && d.readyState === 'complete' && d.location.href !== 'about:blank';
          return {
            src: f.getAttribute('src')!,
            loaded,
            title: loaded ? d!.title : null,
            theme: loaded ? d!.documentElement.className : null,
            heading: loaded ? (d!.querySelector('main h1')?.textContent?.trim() ?? null) : null,
            legal: loaded ? (d!.querySelector('[data-testid="legal-entity"]')?.textContent?.includes('Demo Broker Ltd.') ?? false) : null,
            error: loaded ? (d!.querySelector('[data-testid="error"]')?.getAttribute('data-code') ?? null) : null,
          };
        }),
      );
    await expect.poll(async () => (await rendered()).filter((f) => f.loaded).length, { timeout: 60_000 }).toBe(68);
    const actual = await rendered();
    const expected = actual.map(({ src }) => {
      const q = new URL(src, server.base).searchParams;
      const [screen, state, theme] = [q.get('screen')!, q.get('state')!, q.get('theme')!];
      return {
        src,
        loaded: true,
        title: `${screen} · ${state}`,
        theme,
        heading: HEADINGS[`${screen}/${state}`] ?? HEADINGS[screen] ?? `a heading for ${screen}`,
        legal: true,
        // Only the token error state is an error page, and it is that error.
        error: screen === 'token_error' ? 'TOKEN_EXPIRED' : null,
      };
    });
    expect(actual).toEqual(expected);
    // 34 states, each in both palettes, each page answered 200.
    expect(new Set(expected.map((e) => `${e.title} · ${e.theme}`)).size).toBe(68);
    expect(new Set(expected.map((e) => e.theme))).toEqual(new Set(['light', 'dark']));
    expect(views.size).toBe(68);
    expect([...views.values()].every((s) => s === 200)).toBe(true);

    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(29, 78, 216)');
    expect(await brandIn(page, 'deposit', 'empty', 'dark')).toBe('rgb(96, 165, 250)');
    // States really differ: the error state shows the amount's message.
    const error = page.frameLocator('iframe[src*="screen=deposit&state=error&theme=light"]');
    await expect(error.getByTestId('amount-error')).toHaveText('Use at most 2 decimal places.');
    const upload = page.frameLocator('iframe[src*="screen=kyc_upload&state=in_progress&theme=dark"]');
    await expect(upload.getByTestId('kyc-progress')).toHaveAttribute('value', '40');

    // A designer changes the brand colour; the running server shows it on reload.
    fs.writeFileSync(themeFile, original.replace('brand = "#1d4ed8"', 'brand = "#6d28d9"'));
    await page.reload();
    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(109, 40, 217)');
    await expect(page.getByTestId('theme-error')).toHaveCount(0);

    // A mistake is reported by key; the last good theme stays.
    fs.writeFileSync(themeFile, original.replace('brand = "#1d4ed8"', 'brand = "#6d28d9"').replace('radius = "0.5rem"', 'radius = "round"'));
    await page.reload();
    await expect(page.getByTestId('theme-error')).toContainText('radius');
    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(109, 40, 217)');
  } finally {
    // The server first: nothing may outlive the test, even if it ran out of time.
    await server.stop();
    fs.rmSync(themeDir, { recursive: true, force: true });
    await context.close();
  }
});
