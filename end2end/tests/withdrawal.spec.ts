import { test, expect, Browser, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { freshLogin } from './helpers';
import { OwnServer, startAlone } from './server';

// A server of its own: the main test slows one balance change down through
// the simulator's faults, which would touch other tests' deposits on the
// shared server.
let server: OwnServer;
test.beforeAll(async ({}, info) => {
  server = new OwnServer(3900 + info.workerIndex);
  await startAlone(server);
});
test.afterAll(async () => server.stop());

const IBAN = 'DE89 3704 0044 0532 0130 00';

/** The trader opens the withdrawal screen with `balance` USD; waits until it is interactive. */
async function withdrawScreen(page: Page, login: number, balance: string) {
  const minted = await fetch(`${server.base}/sim/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, balance }),
  });
  expect(minted.status).toBe(201);
  const { token } = await minted.json();
  await page.goto(`${server.base}/inapp/action?token=${token}&actionType=withdraw`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Withdraw funds');
  // Interactive once leaving a mistyped IBAN says so (the server-rendered page cannot).
  const iban = page.getByLabel('IBAN');
  await expect(async () => {
    await iban.fill('DE89 3704 0044 0532 0130 01');
    await iban.blur();
    await expect(page.getByTestId('withdraw-iban-error')).toHaveText("The IBAN's check digits do not match: please check it for a typo.", { timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

async function request(page: Page, amount: string) {
  await page.getByLabel('Amount').fill(amount);
  await page.getByLabel('IBAN').fill(IBAN);
  await page.getByLabel("Account holder's name").fill('Ann Lee');
  await page.getByTestId('withdraw-submit').click();
  await expect(page.getByTestId('withdraw-sent')).toBeVisible();
}

/** An admin (finance may act too) on the withdrawals page, in a context of their own. */
async function finance(browser: Browser): Promise<Page> {
  const desk = await (await browser.newContext()).newPage();
  await desk.goto(`${server.base}/backoffice/sign-in`);
  await desk.getByLabel('Email').fill('e2e-admin@broker.example');
  await desk.getByLabel('Password').fill('e2e staff password');
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByTestId('nav-withdrawals').click();
  await expect(desk.getByRole('heading', { level: 1 })).toHaveText('Withdrawals');
  return desk;
}

async function history(login: number): Promise<{ type: string; externalId: string; delta: string }[]> {
  return (await (await fetch(`${server.base}/sim/traders/${login}`)).json()).history;
}

test('a withdrawal: refused typo, approved in another context, debited once, paid; the trader sees each state live', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  await withdrawScreen(page, login, '1000');
  await expect(page.getByTestId('withdraw-available')).toHaveText('1,000.00 USD');
  // The typo stays refused in place, and a submit sends nothing.
  await page.getByLabel('Amount').fill('250');
  await page.getByTestId('withdraw-submit').click();
  await expect(page.getByTestId('withdraw-iban-error')).toHaveText("The IBAN's check digits do not match: please check it for a typo.");
  await expect(page.getByTestId('withdraw-holder-error')).toHaveText("Enter the account holder's name.");
  await expect(page.getByLabel('IBAN')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('withdrawal')).toHaveCount(0);
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  await request(page, '250');
  const item = page.getByTestId('withdrawal');
  await expect(item).toHaveCount(1);
  await expect(item.getByTestId('withdrawal-state')).toHaveText('Waiting for approval');
  await expect(item).toContainText('To bank account DE89 … 3000');
  const id = (await item.getAttribute('data-id'))!;
  // Typed fields are cleared: a second tap would be a new, deliberate request.
  await expect(page.getByLabel('Amount')).toHaveValue('');

  // cTrader takes its time with this debit, so "approved" is on screen a while.
  const fault = await fetch(`${server.base}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ endpoint: 'changeBalance', kind: 'delay', delayMs: 4000, remaining: 1 }),
  });
  expect(fault.status).toBe(201);
  const desk = await finance(browser);
  const row = desk.locator(`[data-testid="withdrawals-to-approve"] [data-testid="bo-withdrawal"][data-id="${id}"]`);
  await expect(row.getByTestId('bo-withdrawal-destination')).toHaveText(`${IBAN} · Ann Lee`);
  const bo = await new AxeBuilder({ page: desk }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(bo.violations.map((v) => v.id)).toEqual([]);
  await row.getByTestId('bo-withdrawal-approve').click();
  await expect(desk.getByTestId('withdrawals-note')).toHaveText('Approved: the trading account is being debited.');

  // The trader's screen follows without a reload.
  await expect(item.getByTestId('withdrawal-state')).toHaveText('Approved: being taken from your trading account');
  await expect(item.getByTestId('withdrawal-cancel')).toHaveCount(0);
  await expect(item.getByTestId('withdrawal-state')).toHaveText('Taken from your trading account: being sent', { timeout: 15_000 });
  const debits = (await history(login)).filter((h) => h.type === 'WITHDRAW');
  expect(debits).toHaveLength(1);
  expect(debits[0]).toMatchObject({ externalId: id, delta: '-250.00' });

  await desk.reload();
  const toPay = desk.locator(`[data-testid="withdrawals-to-pay"] [data-testid="bo-withdrawal"][data-id="${id}"]`);
  await toPay.getByLabel("Payout's bank reference").fill('SEPA-2026-000123');
  await toPay.getByTestId('bo-withdrawal-paid').click();
  await expect(desk.getByTestId('withdrawals-note')).toHaveText('Marked paid.');
  // The payout's confirmation reaches the open screen as every other step did.
  await expect(item.getByTestId('withdrawal-state')).toHaveText('Sent');
  expect((await history(login)).filter((h) => h.type === 'WITHDRAW')).toHaveLength(1);
});

test('a cancelled request is never debited; a rejected one shows finance\'s reason live', async ({ page, browser }) => {
  const login = freshLogin();
  await withdrawScreen(page, login, '500');
  await request(page, '100');
  const first = page.getByTestId('withdrawal').first();
  await expect(first.getByTestId('withdrawal-state')).toHaveText('Waiting for approval');
  await first.getByTestId('withdrawal-cancel').click();
  await expect(first.getByTestId('withdrawal-state')).toHaveText('Cancelled');
  await expect(first.getByTestId('withdrawal-cancel')).toHaveCount(0);

  await request(page, '50');
  const second = page.getByTestId('withdrawal').first();
  await expect(second).toContainText('50.00 USD');
  const id = (await second.getAttribute('data-id'))!;
  const desk = await finance(browser);
  const row = desk.locator(`[data-testid="withdrawals-to-approve"] [data-testid="bo-withdrawal"][data-id="${id}"]`);
  await row.getByLabel('Reason (the trader sees it)').fill('Please use an account in your own name.');
  await row.getByTestId('bo-withdrawal-reject').click();
  await expect(desk.getByTestId('withdrawals-note')).toHaveText('Rejected: the trader sees your reason.');
  await expect(second.getByTestId('withdrawal-state')).toHaveText('Rejected');
  await expect(second.getByTestId('withdrawal-reason')).toHaveText('Reason: Please use an account in your own name.');
  expect((await history(login)).filter((h) => h.type === 'WITHDRAW')).toHaveLength(0);
});
