import { test, expect, Page } from '@playwright/test';
import { mint, freshLogin, watchRequests, depositFormReady } from './helpers';

// A slow phone shows the server-rendered screen seconds before its WASM has
// arrived. Here the WASM is held back until the test lets it through, and
// the trader types and presses buttons meanwhile: each form either works
// without the WASM (the deposit form posts itself) or shows it is not ready
// and keeps what was typed; nothing is lost, nothing is sent twice.

/** Holds every WASM download until the returned function is called. */
async function holdWasm(page: Page): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/[^/]+\.wasm$/, async (route) => {
    await held;
    // The page may have gone on without it (a form that posted itself).
    await route.continue().catch(() => {});
  });
  return release;
}

async function open(page: Page, request: any, path: string, login: number, extra = '') {
  const { token } = await mint(request, { login });
  await page.goto(`${path}?token=${token}${extra ? `&${extra}` : ''}`);
}

test('deposit: pressed twice before the WASM, the form posts itself to one payment, credited once', async ({ page, request }) => {
  const login = freshLogin();
  const release = await holdWasm(page);
  await open(page, request, '/inapp/deposit', login, `account=${login}`);
  await page.getByLabel('Amount').fill('250.00');
  await page.getByTestId('submit').dblclick();

  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
  await expect(page.getByTestId('psp-amount')).toHaveText('250.00 USD');
  release();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/);
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.balance).toBe('1250.00');
  expect(trader.history).toHaveLength(1);

  // One deposit, not one per press.
  await page.goto('/inapp/deposit');
  await expect(page.getByTestId('recent-deposit')).toHaveCount(1);
});

/** Presses the deposit form with `amount` before the WASM, and is sent back refused. */
async function refusedBeforeHydration(page: Page, request: any, starts: string[]) {
  const login = freshLogin();
  await open(page, request, '/inapp/deposit', login, `account=${login}`);
  const key = await page.locator('input[name=key]').inputValue();
  await page.getByLabel('Amount').fill('9.99');
  await page.getByTestId('submit').click();

  await expect(page).toHaveURL(/\/inapp\/deposit\?/);
  await expect(page.getByTestId('amount-error')).toHaveText('The minimum deposit is 10.00.');
  await expect(page.getByLabel('Amount')).toHaveValue('9.99');
  await expect(page.locator('input[name=method]:checked')).toHaveValue('card');
  await expect(page.locator('input[name=key]')).toHaveValue(key);
  expect(starts).toHaveLength(1);
}

test('deposit: refused before the WASM, the screen comes back with the amount, method, key and reason, which hydration keeps', async ({ page, request }) => {
  const release = await holdWasm(page);
  const starts = watchRequests(page, 'POST', '/api/deposit/start');
  await refusedBeforeHydration(page, request, starts);

  release();
  await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByLabel('Amount')).toHaveValue('9.99');
  await expect(page.getByTestId('amount-error')).toHaveText('The minimum deposit is 10.00.');
  await page.getByLabel('Amount').fill('25.00');
  await expect(page.getByTestId('amount-error')).toHaveText('');
  await page.getByTestId('submit').click();
  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
  await expect(page.getByTestId('psp-amount')).toHaveText('25.00 USD');
  expect(starts).toHaveLength(2);
});

test('deposit: an amount corrected while the WASM is still on its way is the one the hydrated form sends', async ({ page, request }) => {
  const release = await holdWasm(page);
  const starts = watchRequests(page, 'POST', '/api/deposit/start');
  await refusedBeforeHydration(page, request, starts);
  await page.getByLabel('Amount').fill('30.00');

  release();
  await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('summary-total')).toHaveText('30.00');
  // The refusal was about the old amount.
  await expect(page.getByTestId('amount-error')).toHaveText('');
  await page.getByTestId('submit').click();
  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);
  await expect(page.getByTestId('psp-amount')).toHaveText('30.00 USD');
  expect(starts).toHaveLength(2);
});

test('chat: a message sent before the WASM posts itself, pressed twice it is stored once', async ({ page, request }) => {
  const release = await holdWasm(page);
  const posts = watchRequests(page, 'POST', '/inapp/chat/send');
  await open(page, request, '/inapp/chat', freshLogin());
  await expect(page.getByTestId('chat-file')).toBeDisabled();
  await page.getByTestId('chat-input').fill('Typed on a slow phone');
  await page.getByTestId('chat-send').dblclick();

  // Back on the screen (the browser followed the redirect), the message in
  // its history, once, whichever presses reached the server.
  await expect(page.getByTestId('messages').getByText('Typed on a slow phone')).toHaveCount(1);
  expect(posts.length).toBeGreaterThanOrEqual(1);
  release();
  await expect(page.getByTestId('composer')).toHaveAttribute('data-ready', 'true');
  await page.reload();
  await expect(page.getByTestId('messages').getByText('Typed on a slow phone')).toHaveCount(1);
  // Once hydrated, the same form goes through the live connection instead.
  const sends = watchRequests(page, 'POST', '/inapp/chat/messages');
  await expect(page.getByTestId('composer')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('chat-input').fill('And one after');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('messages').getByText('And one after')).toHaveCount(1);
  await expect(page.getByTestId('chat-input')).toHaveValue('');
  expect(sends).toHaveLength(1);
});

test('chat: a message typed before the WASM and sent after it is kept through hydration and stored once', async ({ page, request }) => {
  const release = await holdWasm(page);
  const sends = watchRequests(page, 'POST', '/inapp/chat/messages');
  await open(page, request, '/inapp/chat', freshLogin());
  const input = page.getByTestId('chat-input');
  await input.fill('Typed while it loads');
  release();
  await expect(page.getByTestId('composer')).toHaveAttribute('data-ready', 'true');
  await expect(input).toHaveValue('Typed while it loads');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('messages').getByText('Typed while it loads')).toHaveCount(1);
  await expect(input).toHaveValue('');
  expect(sends).toHaveLength(1);
  await page.reload();
  await expect(page.getByTestId('messages').getByText('Typed while it loads')).toHaveCount(1);
});

test('KYC details: typed before the WASM, kept through hydration; saving waits for it', async ({ page, request }) => {
  const release = await holdWasm(page);
  await open(page, request, '/inapp/kyc', freshLogin(), 'kycType=standard');
  await page.getByLabel('Full name').fill('Anna Schmidt');
  await page.getByLabel('Date of birth').fill('1990-04-01');
  await page.getByLabel('Address').fill('Hauptstraße 5, 10115 Berlin');
  await page.getByLabel('Country').selectOption('DE');
  await expect(page.getByTestId('kyc-save')).toBeDisabled();

  release();
  await expect(page.getByTestId('kyc-save')).toBeEnabled();
  await expect(page.getByLabel('Full name')).toHaveValue('Anna Schmidt');
  await expect(page.getByLabel('Country')).toHaveValue('DE');
  await page.getByTestId('kyc-save').click();
  await expect(page.getByTestId('kyc-saved')).toHaveText('Your details are saved.');
  // Saved as typed: the next visit shows them.
  await page.reload();
  await expect(page.getByLabel('Full name')).toHaveValue('Anna Schmidt');
  await expect(page.getByLabel('Address')).toHaveValue('Hauptstraße 5, 10115 Berlin');
});

test('KYC upload: no file can be picked before the WASM, which would not see it', async ({ page, request }) => {
  const release = await holdWasm(page);
  await open(page, request, '/inapp/kyc/upload', freshLogin(), 'documentType=identity');
  await expect(page.getByTestId('kyc-file')).toBeDisabled();
  await expect(page.getByTestId('kyc-camera')).toBeDisabled();
  release();
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('kyc-file')).toBeEnabled();
  await expect(page.getByTestId('kyc-camera')).toBeEnabled();
});

test('a broker form action: typed before the WASM, kept, sent once', async ({ page, request }) => {
  const release = await holdWasm(page);
  const sends = watchRequests(page, 'POST', '/api/action/submit');
  await open(page, request, '/inapp/action', freshLogin(), 'actionType=transfer');
  await page.getByLabel('Amount').fill('250');
  await page.getByLabel('Transfer to').selectOption('another_account');
  await expect(page.getByTestId('action-submit')).toBeDisabled();

  release();
  await expect(page.getByTestId('action-submit')).toBeEnabled();
  await expect(page.getByLabel('Amount')).toHaveValue('250');
  await page.getByTestId('action-submit').click();
  await expect(page.getByTestId('action-done')).toContainText('Your request was sent. Reference: req_');
  expect(sends).toHaveLength(1);
});

test('withdrawal: typed before the WASM, kept, requested once', async ({ page, request }) => {
  const release = await holdWasm(page);
  const sends = watchRequests(page, 'POST', '/api/withdrawal/request');
  await open(page, request, '/inapp/action', freshLogin(), 'actionType=withdraw');
  await page.getByLabel('Amount').fill('100');
  await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
  await page.getByLabel("Account holder's name").fill('Ann Lee');
  await expect(page.getByTestId('withdraw-submit')).toBeDisabled();

  release();
  await expect(page.getByTestId('withdraw-submit')).toBeEnabled();
  await expect(page.getByLabel('IBAN')).toHaveValue('DE89 3704 0044 0532 0130 00');
  await page.getByTestId('withdraw-submit').click();
  await expect(page.getByTestId('withdraw-sent')).toBeVisible();
  expect(sends).toHaveLength(1);
});

test('withdrawal: a card picked as the destination before the WASM stays picked', async ({ page, request }) => {
  const login = freshLogin();
  // A card deposit, to be paid back to.
  await open(page, request, '/inapp/deposit', login, `account=${login}`);
  await depositFormReady(page);
  await page.getByLabel('Amount').fill('100.00');
  await page.getByTestId('submit').click();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await expect(page).toHaveURL(/\/done\/success/);

  const release = await holdWasm(page);
  await open(page, request, '/inapp/action', login, 'actionType=withdraw');
  const card = page.locator('input[name=payout][value^="card:"]');
  await card.check();
  release();
  await expect(page.getByTestId('withdraw-submit')).toBeEnabled();
  await expect(card).toBeChecked();
  await expect(page.getByTestId('withdraw-bank-fields')).toBeHidden();
});
