import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mint, freshLogin, SCREENS, screenName } from './helpers';

// Every screen in English, Arabic (right to left) and German, in both themes:
// no axe-core violations, the platform's conformance rules, and a screenshot
// of each kept with the test's results.
const LANGS = [
  { code: 'en', dir: 'ltr' },
  { code: 'ar', dir: 'rtl' },
  { code: 'de', dir: 'ltr' },
];
const THEMES = ['light', 'dark'];
// Other platforms' names never appear on a broker's cTrader screens.
const OTHER_PLATFORMS = /MetaTrader|\bMT[45]\b|NinjaTrader|TradingView|Match-Trader|DXtrade/i;

async function conformance(page: Page, what: string) {
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), what).toEqual([]);
  await expect(page.getByTestId('close'), what).toBeVisible();
  await expect(page.getByTestId('legal-entity'), what).toContainText('Demo Broker Ltd.');
  expect(await page.locator('a[target="_blank"], a[target="_new"]').count(), `${what}: no pop-ups`).toBe(0);
  expect(await page.locator('body').innerText(), what).not.toMatch(OTHER_PLATFORMS);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${what}: nothing cut off`).toBeLessThanOrEqual(0);
}

for (const lang of LANGS) {
  for (const theme of THEMES) {
    test(`every screen in ${lang.code}, ${theme}: accessible, conformant, screenshot kept`, async ({ page, request }, info) => {
      test.setTimeout(60_000);
      await page.setViewportSize({ width: 360, height: 800 });
      for (const screen of SCREENS) {
        const { token } = await mint(request, { login: freshLogin() });
        const extra = screen.extra.replace('&account=LOGIN', '').replace('account=LOGIN', '');
        await page.goto(`${screen.path}?token=${token}&lang=${lang.code}&theme=${theme}${extra ? '&' + extra : ''}`);
        await expect(page.locator('html')).toHaveAttribute('lang', lang.code);
        await expect(page.locator('html')).toHaveAttribute('dir', lang.dir);
        await expect(page.locator('html')).toHaveClass(theme);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await expect(page.getByText('app.details_loading')).toHaveCount(0);
        const what = `${screenName(screen)} ${lang.code} ${theme}`;
        await conformance(page, what);
        // Kept under end2end/test-results/ as the run's artifacts.
        const shot = info.outputPath(`${screenName(screen).slice(1).replace(/[/?=&]/g, '_')}-${lang.code}-${theme}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        await info.attach(`${screenName(screen)} ${lang.code} ${theme}`, { path: shot, contentType: 'image/png' });
      }
    });
  }
}

test('the keyboard reaches every control of a form with a visible focus ring', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/action?token=${token}&actionType=account_manager`);
  await expect(page.getByTestId('action-submit')).toBeEnabled();
  const reached: string[] = [];
  for (let i = 0; i < 20 && !reached.includes('action-submit'); i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
      return { id: el.getAttribute('data-testid') ?? el.id, ring };
    });
    if (!focused) continue;
    expect(focused.ring, `${focused.id} shows where the focus is`).toBe(true);
    reached.push(focused.id);
  }
  expect(reached).toEqual(expect.arrayContaining(['close', 'action-topic', 'action-message', 'action-phone', 'action-submit']));
});

test('the platform\'s theme wins over the system preference', async ({ page, request }) => {
  for (const [system, asked, bg] of [
    ['dark', 'light', 'rgb(246, 247, 249)'],
    ['light', 'dark', 'rgb(11, 18, 32)'],
  ] as const) {
    await page.emulateMedia({ colorScheme: system });
    const { token } = await mint(request, { login: freshLogin() });
    await page.goto(`/inapp/kyc/status?token=${token}&theme=${asked}`);
    await expect(page.locator('html')).toHaveClass(asked);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(bg);
  }
});

test('an unknown language falls back to English', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/kyc/status?token=${token}&lang=xx`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Verification status');
});
