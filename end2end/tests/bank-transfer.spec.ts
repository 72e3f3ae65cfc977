import { test, expect, Browser, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mint, freshLogin, depositFormReady } from './helpers';

/** A finance user signed in to the back-office in a browser context of their own. */
async function finance(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/backoffice/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('e2e staff password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toContainText(email);
  await page.getByTestId('nav-bank').click();
  return page;
}

/** The trader opens the deposit screen, chooses a bank transfer and gets the details. */
async function bankDeposit(page: Page, request: any, login: number, currency: string, amount: string): Promise<string> {
  const { token } = await mint(request, { login, currency });
  await page.goto(`/inapp/deposit?token=${token}&account=${login}`);
  await depositFormReady(page);
  await page.getByLabel('Bank transfer').check();
  await expect(page.getByText('From 100.00 to 50,000.00')).toBeVisible();
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: 'Show bank details' }).click();
  await expect(page).toHaveURL(/\/inapp\/deposit\?deposit=dep_/);
  await expect(page.getByTestId('deposit-state')).toHaveText('Waiting for your bank transfer');
  const reference = (await page.getByTestId('bank-reference').textContent())!;
  expect(reference).toMatch(/^RF\d{2}( \d{4}){4} \d{2}$/);
  return reference;
}

test('a bank transfer: reference shown, finance records an over-payment in another context, the trader sees it credited live', async ({ page, browser, request }) => {
  const login = freshLogin();
  const reference = await bankDeposit(page, request, login, 'EUR', '150');
  await expect(page.getByTestId('bank-amount')).toHaveText('150.00');
  await expect(page.getByTestId('bank-account')).toHaveText('DE89 3704 0044 0532 0130 00');
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  // The copy buttons put what a banking app's field takes on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy Payment reference' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(reference);
  await page.getByRole('button', { name: 'Copy Amount to send' }).click();
  await expect(page.getByRole('button', { name: 'Copy Amount to send' })).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('150.00');
  const depositId = new URL(page.url()).searchParams.get('deposit');

  // Finance finds it by the reference as a bank statement would show it.
  const desk = await finance(browser, 'e2e-finance@broker.example');
  const bo = await new AxeBuilder({ page: desk }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(bo.violations.map((v) => v.id)).toEqual([]);
  await desk.getByLabel('Find a deposit by its payment reference').fill(reference.replaceAll(' ', ''));
  await desk.getByTestId('bank-find').click();
  await expect(desk.getByTestId('bank-expected')).toHaveText('150.00 EUR');
  // The trader sent 25 more than announced: what arrived is credited.
  await desk.getByLabel('Received (EUR)').fill('175.00');
  await desk.getByTestId('bank-record').click();
  await expect(desk.getByTestId('bank-note')).toHaveText('Recorded. The deposit is confirmed and is being credited.');
  await expect(desk.locator(`[data-testid="bank-wire"][data-login="${login}"]`).getByTestId('bank-wire-difference')).toHaveText('+25.00');

  // The trader's screen moves on by itself, without a reload.
  await expect(page).toHaveURL(new RegExp(`/done/success\\?depositId=${depositId}`));
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.history).toHaveLength(1);
  expect(trader.history[0].externalId).toBe(depositId);
  expect(trader.history[0].preciseAmount).toBe('175.00');
});

test('four eyes: the finance user who recorded a large wire cannot approve it; a second one can', async ({ page, browser, request }) => {
  const login = freshLogin();
  const reference = await bankDeposit(page, request, login, 'USD', '20000');
  await expect(page.getByTestId('bank-account')).toHaveText('000123456789');
  const depositId = new URL(page.url()).searchParams.get('deposit');

  const first = await finance(browser, 'e2e-finance@broker.example');
  await first.getByLabel('Find a deposit by its payment reference').fill(reference);
  await first.getByTestId('bank-find').click();
  await first.getByLabel('Received (USD)').fill('20000');
  await first.getByTestId('bank-record').click();
  await expect(first.getByTestId('bank-note')).toHaveText('Recorded. A second finance user must approve it before it is credited.');
  const pending = first.getByTestId('bank-approvals').getByTestId('bank-wire').filter({ hasText: String(login) });
  await expect(pending.getByTestId('bank-yours')).toBeVisible();
  await expect(pending.getByTestId('bank-approve')).toHaveCount(0);
  await expect(page.getByTestId('deposit-state')).toHaveText('Waiting for your bank transfer');

  const second = await finance(browser, 'e2e-finance2@broker.example');
  const theirs = second.getByTestId('bank-approvals').getByTestId('bank-wire').filter({ hasText: String(login) });
  await theirs.getByTestId('bank-approve').click();
  await expect(second.getByTestId('bank-note')).toHaveText('Approved. The deposit is confirmed and is being credited.');

  await expect(page).toHaveURL(new RegExp(`/done/success\\?depositId=${depositId}`));
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.history).toHaveLength(1);
  expect(trader.history[0].preciseAmount).toBe('20000.00');
});

test('a trader who closed the screen comes back to the bank details from recent deposits', async ({ page, request }) => {
  const login = freshLogin();
  const reference = await bankDeposit(page, request, login, 'EUR', '120');
  const { token } = await mint(request, { login, currency: 'EUR' });
  await page.goto(`/inapp/deposit?token=${token}`);
  const waiting = page.getByTestId('recent-deposit').filter({ hasText: '120.00 EUR' });
  await expect(waiting).toContainText('Waiting for your bank transfer');
  await waiting.getByTestId('recent-bank-details').click();
  await expect(page.getByTestId('bank-reference')).toHaveText(reference);
});
