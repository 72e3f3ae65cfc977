import { test, expect } from '@playwright/test';
import { mint, freshLogin, SCREENS, depositFormReady, screenName } from './helpers';

for (const screen of SCREENS) {
  test(`${screenName(screen)}: a minted link identifies the trader, drops the token, survives reload and hydrates`, async ({ page, request }) => {
    const login = freshLogin();
    const { token } = await mint(request, { login, name: 'Grace Hopper' });
    const extra = screen.extra.replace('LOGIN', String(login));
    await page.goto(`${screen.path}?token=${token}${extra ? '&' + extra : ''}&utm_campaign=e2e`);

    // The token is gone from the address bar; the other parameters stay.
    const url = new URL(page.url());
    expect(url.pathname).toBe(screen.path);
    expect(url.searchParams.has('token')).toBe(false);
    expect(url.searchParams.get('utm_campaign')).toBe('e2e');

    await expect(page.getByRole('heading', { level: 1 })).toHaveText(screen.title);
    await expect(page.getByTestId('trader-name')).toHaveText('Grace Hopper');
    await expect(page.getByTestId('trader-login')).toHaveText(`Account ${login}`);
    await expect(page.getByTestId('simulator-badge')).toBeVisible();
    await expect(page.getByTestId('close')).toBeVisible();
    await expect(page.getByTestId('legal-entity')).toContainText('Demo Broker Ltd.');

    // Reload: the session, not the token, identifies the trader.
    await page.reload();
    await expect(page.getByTestId('trader-login')).toHaveText(`Account ${login}`);

    if (screen.path === '/inapp/deposit') {
      // Only the hydrated WASM updates the summary as the trader types.
      await depositFormReady(page);
      await page.getByLabel('Amount').fill('12.34');
      await expect(page.getByTestId('summary-total')).toHaveText('12.34');
      await expect(page.getByTestId('deposit-balance')).toHaveText('1,000.00 USD');
    } else {
      // Only the hydrated WASM can open the details and call the server function.
      const toggle = page.getByTestId('details-toggle');
      await expect(toggle).toHaveAttribute('aria-expanded', 'false');
      // A click that lands before the WASM has taken over does nothing: click
      // again until the hydrated page answers.
      await expect(async () => {
        await toggle.click();
        await expect(toggle).toHaveAttribute('aria-expanded', 'true', { timeout: 1_000 });
      }).toPass({ timeout: 20_000 });
      await expect(page.getByTestId('balance')).toHaveText('1,000.00 USD');
      await expect(page.getByTestId('user-id')).not.toBeEmpty();
    }
  });
}

test('a reused link shows the expired page, translated', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/deposit?token=${token}`);
  await expect(page.getByTestId('trader-login')).toBeVisible();
  await page.goto(`/inapp/deposit?token=${token}&lang=es`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Este enlace ha caducado');
  await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'TOKEN_EXPIRED');
  await expect(page.getByTestId('error-code')).toContainText('TOKEN_EXPIRED');
});

test('a garbage token shows the invalid page', async ({ page }) => {
  await page.goto('/inapp/chat?token=%22%3E%3Cscript%3Ealert(1)%3C/script%3E');
  await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'INVALID_OT_TOKEN');
});

test('Arabic renders right to left and the dark theme applies', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/kyc?token=${token}&lang=ar&theme=dark`);
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ar');
  await expect(page.locator('html')).toHaveClass(/dark/);
  await expect(page.getByTestId('close')).toContainText('إغلاق');
});

test('the close control leads to the close URL', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/deposit?token=${token}`);
  await page.getByTestId('close').click();
  await expect(page).toHaveURL(/\/done\/close$/);
  await expect(page.getByTestId('done')).toHaveText('You can close this window.');
});

test('a link for another account opened in the same browser says so on the page', async ({ page, request }) => {
  const mine = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/deposit?token=${mine.token}`);
  await expect(page.getByTestId('trader-login')).toHaveText(`Account ${mine.login}`);
  const theirs = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/kyc?token=${theirs.token}`);
  await expect(page.getByTestId('trader-login')).toHaveText(`Account ${theirs.login}`);
  await expect(page.getByTestId('account-switched')).toHaveText(
    `This link opened account ${theirs.login}. You were in account ${mine.login} before. If you did not expect this, close this screen and open it again from your trading platform.`,
  );
  await page.reload();
  await expect(page.getByTestId('account-switched')).toHaveCount(0);
});
