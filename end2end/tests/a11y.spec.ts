import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mint, freshLogin, SCREENS, depositFormReady, screenName } from './helpers';

// Every screen, in both themes, at a phone's and a desktop's width: no axe-core
// violations (WCAG 2.1 A and AA rules).
const WIDTHS = [360, 1280];
const THEMES = ['light', 'dark'];

async function expectNoViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, what).toEqual([]);
}

for (const width of WIDTHS) {
  for (const theme of THEMES) {
    test(`screens have no accessibility violations at ${width}px, ${theme}`, async ({ page, request }) => {
      // Eight pages, each opened and analysed by axe: more than the default
      // 30 s on a loaded 2-core machine.
      test.setTimeout(120_000);
      await page.setViewportSize({ width, height: 800 });
      for (const screen of SCREENS) {
        const login = freshLogin();
        const { token } = await mint(request, { login });
        const extra = screen.extra.replace('LOGIN', String(login));
        await page.goto(`${screen.path}?token=${token}&theme=${theme}${extra ? '&' + extra : ''}`);
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(screen.title);
        await expectNoViolations(page, `${screenName(screen)} ${theme} ${width}px`);
        // Nothing is cut off: the page never scrolls sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${screenName(screen)} ${theme} ${width}px`).toBeLessThanOrEqual(0);
      }
      await page.goto(`/inapp/deposit?token=garbage-token-x&theme=${theme}`);
      await expectNoViolations(page, `error page ${theme} ${width}px`);
    });
  }
}

test('the deposit form is usable by keyboard alone', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/deposit?token=${token}`);
  await depositFormReady(page);
  await page.getByLabel('Amount').focus();
  await page.keyboard.type('120');
  // Tab through the presets and the method to the submit button, then press Enter.
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.getByTestId('submit').evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByTestId('submit')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
});
