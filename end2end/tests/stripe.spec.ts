import { test, expect, Page } from '@playwright/test';
import { freshLogin, depositFormReady } from './helpers';
import { OwnServer, startAlone } from './server';

// A server of its own that offers Stripe Checkout (through the contract
// simulator it serves under /psp/stripe) before the sandbox card.
let server: OwnServer;
test.beforeAll(async ({}, info) => {
  server = new OwnServer(3700 + info.workerIndex, {
    INAPP_DEPOSIT__METHODS: '[{ name = "stripe", kind = "stripe_checkout" }, { name = "card", kind = "sandbox" }]',
    INAPP_PAYMENTS__STRIPE__SIMULATOR_ASYNC_DELAY_MS: '1500',
  });
  await startAlone(server);
});
test.afterAll(async () => server.stop());

async function toCheckout(page: Page, request: any, login: number, amount: string) {
  const minted = await request.post(`${server.base}/sim/tokens`, { data: { login } });
  expect(minted.status()).toBe(201);
  const { token } = await minted.json();
  await page.goto(`${server.base}/inapp/deposit?token=${token}&account=${login}`);
  await depositFormReady(page);
  await expect(page.getByLabel('Card or wallet')).toBeChecked();
  await page.getByLabel('Amount').fill(amount);
  await page.getByTestId('submit').click();
  await expect(page).toHaveURL(/\/psp\/stripe\/pay\/cs_test_/);
  await expect(page.getByTestId('checkout-amount')).toHaveText(`${amount} USD`);
  return new URL(page.url()).pathname.split('/').pop()!;
}

async function eventsOf(request: any, session: string): Promise<{ id: string; type: string }[]> {
  return (await (await request.get(`${server.base}/psp/stripe/test/events?session=${session}`)).json()).data;
}

test('a card paid on Stripe Checkout is credited once, however often its event is delivered', async ({ page, request }) => {
  const login = freshLogin();
  const session = await toCheckout(page, request, login, '120.00');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Pay 120.00 USD' }).click();
  await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/);
  const depositId = new URL(page.url()).searchParams.get('depositId');

  const [completed] = await eventsOf(request, session);
  expect(completed.type).toBe('checkout.session.completed');
  for (let i = 0; i < 2; i++) {
    expect((await request.post(`${server.base}/psp/stripe/test/events/${completed.id}/resend`)).status()).toBe(204);
  }
  const trader = await (await request.get(`${server.base}/sim/traders/${login}`)).json();
  expect(trader.history).toHaveLength(1);
  expect(trader.history[0].externalId).toBe(depositId);
  expect(trader.history[0].preciseAmount).toBe('120.00');
});

test('a bank debit confirms later; its events again, in reverse order, change nothing', async ({ page, request }) => {
  const login = freshLogin();
  const session = await toCheckout(page, request, login, '75.00');
  await page.getByRole('button', { name: 'Pay by bank debit (confirms later)' }).click();
  await expect(page).toHaveURL(/\/inapp\/deposit\?deposit=dep_/);
  await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/);
  const events = await eventsOf(request, session);
  expect(events.map((e) => e.type)).toEqual(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
  for (const e of [...events].reverse()) {
    expect((await request.post(`${server.base}/psp/stripe/test/events/${e.id}/resend`)).status()).toBe(204);
  }
  const trader = await (await request.get(`${server.base}/sim/traders/${login}`)).json();
  expect(trader.history).toHaveLength(1);
  expect(trader.history[0].preciseAmount).toBe('75.00');
});

test('a declined card stays on Checkout; going back offers another way and nothing is credited', async ({ page, request }) => {
  const login = freshLogin();
  const session = await toCheckout(page, request, login, '60.00');
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: 'Pay 60.00 USD' }).click();
  await expect(page.getByRole('alert')).toHaveText('Your card was declined.');
  await page.getByRole('link', { name: 'Back' }).click();
  await expect(page.getByTestId('deposit-state')).toHaveText('Waiting for payment');
  await page.getByTestId('deposit-another-way').click();
  await expect(page.getByTestId('recent-deposit').filter({ hasText: '60.00 USD' })).toContainText('Waiting for payment');
  expect(await eventsOf(request, session)).toEqual([]);
  const trader = await (await request.get(`${server.base}/sim/traders/${login}`)).json();
  expect(trader.history).toHaveLength(0);
});
