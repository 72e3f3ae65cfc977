import { test, expect } from '@playwright/test';
import fs from 'node:fs';

const THEME_FILE = process.env.E2E_THEME_FILE!;

/** The submit button's background in one gallery cell. */
async function brandIn(page: import('@playwright/test').Page, screen: string, state: string, theme: string) {
  const frame = page.frameLocator(`iframe[src*="screen=${screen}&state=${state}&theme=${theme}"]`);
  const button = frame.getByTestId('submit');
  await expect(button).toBeVisible();
  return button.evaluate((el) => getComputedStyle(el).backgroundColor);
}

test('the gallery shows every screen state in both palettes and follows a theme edit without a restart', async ({ page }) => {
  test.setTimeout(90_000);
  const original = fs.readFileSync(THEME_FILE, 'utf8');
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/gallery');
    const cells = page.getByTestId('gallery-cell');
    await expect(cells).toHaveCount(31);
    await expect(page.locator('iframe')).toHaveCount(62);
    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(29, 78, 216)');
    expect(await brandIn(page, 'deposit', 'empty', 'dark')).toBe('rgb(96, 165, 250)');
    // States really differ: the error state shows the amount's message.
    const error = page.frameLocator('iframe[src*="screen=deposit&state=error&theme=light"]');
    await expect(error.getByTestId('amount-error')).toHaveText('Use at most 2 decimal places.');
    const upload = page.frameLocator('iframe[src*="screen=kyc_upload&state=in_progress&theme=dark"]');
    await expect(upload.getByTestId('kyc-progress')).toHaveAttribute('value', '40');

    // A designer changes the brand colour; the running server shows it on reload.
    fs.writeFileSync(THEME_FILE, original.replace('brand = "#1d4ed8"', 'brand = "#6d28d9"'));
    await page.reload();
    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(109, 40, 217)');
    await expect(page.getByTestId('theme-error')).toHaveCount(0);

    // A mistake is reported by key; the last good theme stays.
    fs.writeFileSync(THEME_FILE, original.replace('brand = "#1d4ed8"', 'brand = "#6d28d9"').replace('radius = "0.5rem"', 'radius = "round"'));
    await page.reload();
    await expect(page.getByTestId('theme-error')).toContainText('radius');
    expect(await brandIn(page, 'deposit', 'empty', 'light')).toBe('rgb(109, 40, 217)');
  } finally {
    fs.writeFileSync(THEME_FILE, original);
  }
});
