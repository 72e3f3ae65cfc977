import { test, expect, Page } from '@playwright/test';
import { mint, freshLogin, depositFormReady } from './helpers';

async function openDeposit(page: Page, request: any, login: number) {
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/deposit?token=${token}&account=${login}`);
  await depositFormReady(page);
}

test('deposit 250.00 with the success card: lands on the success URL, credited exactly once', async ({ page, request }) => {
  const login = freshLogin();
  await openDeposit(page, request, login);
  await expect(page.getByTestId('deposit-balance')).toHaveText('1,000.00 USD');
  await page.getByLabel('Amount').fill('250.00');
  await expect(page.getByTestId('summary-total')).toHaveText('250.00');
  await page.getByTestId('submit').click();

  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
  await expect(page.getByTestId('psp-amount')).toHaveText('250.00 USD');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay/ }).click();

  await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/);
  const depositId = new URL(page.url()).searchParams.get('depositId');
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.balance).toBe('1250.00');
  expect(trader.history).toHaveLength(1);
  expect(trader.history[0].externalId).toBe(depositId);
  expect(trader.history[0].preciseAmount).toBe('250.00');
});

test('a declined card goes to the failure URL and leaves the balance alone', async ({ page, request }) => {
  const login = freshLogin();
  await openDeposit(page, request, login);
  await page.getByTestId('preset').filter({ hasText: '100.00' }).click();
  await page.getByTestId('submit').click();
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await expect(page).toHaveURL(/\/done\/failure\?depositId=dep_/);
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.balance).toBe('1000.00');
  expect(trader.history).toHaveLength(0);
});

test('every invalid amount shows its message and nothing is submitted', async ({ page, request }) => {
  const login = freshLogin();
  await openDeposit(page, request, login);
  // Every start of a deposit that leaves the browser is counted.
  const starts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/deposit/start')) starts.push(r.url());
  });
  const cases: [string, string][] = [
    ['10.005', 'Use at most 2 decimal places.'],
    ['1e3', 'Enter the amount in digits, for example 250.00.'],
    ['NaN', 'Enter the amount in digits, for example 250.00.'],
    ['-1', 'The amount must be more than zero.'],
    ['0', 'The amount must be more than zero.'],
    ['50000.01', 'The maximum deposit is 50000.00.'],
    ['9.99', 'The minimum deposit is 10.00.'],
    ['', 'Enter an amount.'],
  ];
  for (const [amount, message] of cases) {
    // A valid amount first clears the previous message, so a case sharing
    // its message with the one before cannot pass on text already shown.
    await page.getByLabel('Amount').fill('100');
    await expect(page.getByTestId('amount-error')).toHaveText('');
    await expect(page.getByLabel('Amount')).not.toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Amount').fill(amount);
    await page.getByTestId('submit').click();
    await expect(page.getByTestId('amount-error')).toHaveText(message);
    await expect(page.getByLabel('Amount')).toHaveAttribute('aria-invalid', 'true');
    await expect(page).toHaveURL(/\/inapp\/deposit/);
  }
  expect(starts, 'no deposit request left the browser').toHaveLength(0);
  // Nor did one reach the server: the trader has no deposit at all.
  await page.goto('/inapp/deposit');
  await expect(page.getByTestId('deposit-balance')).toBeVisible();
  await expect(page.getByTestId('recent-deposit')).toHaveCount(0);
});

test('the amount messages are translated', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/deposit?token=${token}&lang=de`);
  await depositFormReady(page);
  // Amounts are written the German way; what is typed stays 1234.56.
  await expect(page.getByTestId('deposit-balance')).toHaveText('1.000,00 USD');
  await page.getByLabel('Betrag', { exact: true }).fill('1250.5');
  await expect(page.getByTestId('summary-total')).toHaveText('1.250,50');
  await page.getByLabel('Betrag', { exact: true }).fill('10.005');
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('amount-error')).toHaveText('Verwenden Sie höchstens 2 Nachkommastellen.');
});

test('another trader\'s account in the link is refused clearly', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/deposit?token=${token}&account=1`);
  await expect(page.getByTestId('deposit-error')).toContainText('belongs to someone else');
});

test('recent deposits update live while one is in flight', async ({ page, context, request }) => {
  const login = freshLogin();
  await openDeposit(page, request, login);
  await page.getByLabel('Amount').fill('60');
  await page.getByTestId('submit').click();
  await page.getByLabel('Card number').fill('4000 0000 0000 3220');
  await page.getByRole('button', { name: /^Pay/ }).click();
  // The asynchronous card confirms seconds later. Meanwhile a second tab of the
  // same session shows the deposit in flight, then credited, without a reload.
  await expect(page.getByTestId('deposit-progress')).toBeVisible();
  const other = await context.newPage();
  await other.goto('/inapp/deposit');
  const row = other.getByTestId('recent-deposit').first();
  await expect(row).toHaveAttribute('data-state', /pending|confirmed/);
  await expect(row).toContainText('60.00 USD');
  await expect(row).toHaveAttribute('data-state', 'credited', { timeout: 20_000 });
  await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/, { timeout: 20_000 });
});

test('an amount typed before the page turned interactive is kept', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  // Hold the WASM back, as a slow phone network would, while the trader types.
  let release: () => void = () => {};
  const typed = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await typed;
    await route.continue();
  });
  await page.goto(`/inapp/deposit?token=${token}`);
  await page.locator('#amount').fill('321.50');
  release();
  await expect(page.getByTestId('summary-total')).toHaveText('321.50');
  await expect(page.locator('#amount')).toHaveValue('321.50');
});

test('a double click on submit makes one deposit', async ({ page, request }) => {
  const login = freshLogin();
  await openDeposit(page, request, login);
  const starts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/deposit/start')) starts.push(r.url());
  });
  // Hold the first answer back, as a slow network would, to see the button
  // while the request is on its way.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/deposit/start', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel('Amount').fill('70');
  await page.getByTestId('submit').dblclick();
  await expect(page.getByTestId('submit')).toBeDisabled();
  await page.getByTestId('submit').click({ force: true });
  release();
  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
  expect(starts, 'one request left the browser').toHaveLength(1);
  // Back on the deposit screen (same session): one deposit, waiting for payment.
  await page.unroute('**/api/deposit/start');
  await page.goto('/inapp/deposit');
  await expect(page.getByTestId('recent-deposit')).toHaveCount(1);
  await expect(page.getByTestId('recent-deposit').first()).toContainText('70.00 USD');
});
