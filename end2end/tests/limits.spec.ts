import { test, expect, Page } from '@playwright/test';
import { freshLogin, staffSignIn, submitStandardKyc, watchRequests } from './helpers';
import { jpeg, pdf } from './fixtures';
import { OwnServer, startAlone } from './server';

// Verification levels: the deposit screen shows the trader's level and what
// is left; an amount above it is refused in place, nothing sent, with a
// button into the KYC that would allow it and a way back; once compliance
// approves, the higher level applies. Servers of their own: the levels are
// configuration, and "KYC before the first deposit" changes every trader's deposit screen.

/** Unverified traders: 1000 a deposit; standard: 20000. */
function levels(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { ...extra };
  for (const c of ['USD', 'EUR', 'JPY']) {
    env[`INAPP_LIMITS__LEVELS__UNVERIFIED__CURRENCIES__${c}__PER_DEPOSIT`] = '1000.00';
    env[`INAPP_LIMITS__LEVELS__STANDARD__CURRENCIES__${c}__PER_DEPOSIT`] = '20000.00';
  }
  return env;
}

async function openDeposit(page: Page, server: OwnServer, login: number) {
  const minted = await fetch(`${server.base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login }) });
  expect(minted.status).toBe(201);
  await page.goto(`${server.base}/inapp/deposit?token=${(await minted.json()).token}`);
}

test.describe('levels', () => {
  let server: OwnServer;
  test.beforeAll(async ({}, info) => {
    server = new OwnServer(4100 + info.workerIndex, levels());
    await startAlone(server);
  });
  test.afterAll(async () => server.stop());

  test('the limit is shown and enforced; the button opens the KYC for it and leads back; approved, the higher level applies', async ({ page, browser }) => {
    test.setTimeout(120_000);
    const login = freshLogin();
    await openDeposit(page, server, login);
    await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
    await expect(page.getByTestId('deposit-level')).toHaveAttribute('data-level', 'unverified');
    await expect(page.getByTestId('deposit-level')).toContainText('Verification level: Unverified');
    await expect(page.getByTestId('deposit-room')).toHaveText('You can deposit up to 1,000.00 USD now.');

    const starts = watchRequests(page, 'POST', '/api/deposit/start');
    await page.getByTestId('amount').fill('1500');
    await page.getByTestId('submit').click();
    await expect(page.getByTestId('amount-error')).toHaveText('Your verification level lets you deposit at most 1,000.00 now.');
    const verify = page.getByTestId('level-verify');
    await expect(verify).toHaveText('Verify your identity to deposit more');
    await expect(verify).toHaveAttribute('data-kyc-type', 'standard');
    expect(starts, 'nothing sent').toHaveLength(0);

    // Into KYC, and back once it is sent.
    await verify.click();
    await expect(page).toHaveURL(`${server.base}/inapp/kyc`);
    await expect(page.getByTestId('kyc-back')).toHaveText('Back to deposit');
    await submitStandardKyc(page, 'Lena Limit', '1988-04-04', await jpeg(browser), pdf({}), server.base);
    await page.getByTestId('kyc-back').click();
    await expect(page).toHaveURL(`${server.base}/inapp/deposit`);
    await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
    await page.getByTestId('amount').fill('1500');
    await page.getByTestId('submit').click();
    await expect(page.getByTestId('level-pending')).toHaveText('Your verification is being reviewed: a higher limit applies once it is approved.');
    expect(starts).toHaveLength(0);

    // Approved: standard's 20000.
    const staff = await staffSignIn(browser, server.base);
    await staff.goto(`${server.base}/backoffice/kyc/${login}`);
    await staff.getByTestId('kyc-approve').click();
    await expect(staff.getByTestId('kyc-case-state')).toHaveAttribute('data-state', 'approved');
    await page.reload();
    await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
    await expect(page.getByTestId('deposit-level')).toHaveAttribute('data-level', 'standard');
    await expect(page.getByTestId('deposit-room')).toHaveText('You can deposit up to 20,000.00 USD now.');
    await page.getByTestId('amount').fill('1500');
    await page.getByTestId('submit').click();
    await expect(page).toHaveURL(/\/psp\/sandbox\//);
    expect(starts).toHaveLength(1);
  });

  test('before the WASM, an amount above the level comes back refused with the same button, which works too', async ({ page }) => {
    // The WASM never arrives: the forms post themselves.
    await page.route(/\/pkg\/[^/]+\.wasm$/, (route) => route.abort());
    await openDeposit(page, server, freshLogin());
    await page.getByTestId('amount').fill('2500');
    await page.getByTestId('submit').click();
    await expect(page).toHaveURL(/\/inapp\/deposit\?amount=2500/);
    await expect(page.getByTestId('amount-error')).toHaveText('Your verification level lets you deposit at most 1,000.00 now.');
    await page.getByTestId('level-verify').click();
    await expect(page).toHaveURL(`${server.base}/inapp/kyc`);
    await expect(page.getByTestId('kyc-back')).toBeVisible();
  });
});

test.describe('KYC before the first deposit', () => {
  let server: OwnServer;
  test.beforeAll(async ({}, info) => {
    server = new OwnServer(4200 + info.workerIndex, levels({ INAPP_LIMITS__KYC_BEFORE_FIRST_DEPOSIT: 'true' }));
    await startAlone(server);
  });
  test.afterAll(async () => server.stop());

  test('an unverified trader opening the deposit screen lands in KYC, with the way back', async ({ page }) => {
    await openDeposit(page, server, freshLogin());
    await expect(page).toHaveURL(`${server.base}/inapp/kyc`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Verify your identity');
    await expect(page.getByTestId('kyc-back')).toHaveAttribute('href', '/inapp/deposit');
  });
});
