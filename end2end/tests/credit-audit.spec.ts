import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { depositFormReady } from './helpers';
import { OwnServer } from './server';

async function post(url: string, body: unknown) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('a deposit cTrader applied twice is raised on the dashboard until an admin marks the copy reversed', async ({ browser }) => {
  test.setTimeout(120_000);
  // A cTrader slower than settle_ms: the one assumption of exactly-once,
  // broken on purpose, so the second look has something to find.
  const server = new OwnServer(3400 + test.info().workerIndex, {
    INAPP_CTRADER__TIMEOUT_MS: '1000',
    INAPP_PAYMENTS__SETTLE_MS: '200',
    INAPP_PAYMENTS__RETRY_BASE_MS: '20',
    INAPP_PAYMENTS__AUDIT_AFTER_MS: '8000',
  });
  await server.start();
  try {
    const minted = await (await post(`${server.base}/sim/tokens`, {})).json();
    const fault = await post(`${server.base}/sim/faults`, { endpoint: 'changeBalance', kind: 'slowApply', delayMs: 5000, remaining: 1 });
    expect(fault.status).toBe(201);

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.base}/inapp/deposit?token=${minted.token}&account=${minted.login}`);
    await depositFormReady(page);
    await page.getByLabel('Amount').fill('60');
    await page.getByTestId('submit').click();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await expect(page).toHaveURL(/\/done\/success\?depositId=dep_/);
    const depositId = new URL(page.url()).searchParams.get('depositId')!;

    const staff = await (await browser.newContext()).newPage();
    await staff.goto(`${server.base}/backoffice/sign-in`);
    await staff.getByLabel('Email').fill('e2e-admin@broker.example');
    await staff.getByLabel('Password').fill('e2e staff password');
    await staff.getByRole('button', { name: 'Sign in' }).click();
    const alert = staff.getByTestId('duplicate-credits');
    await expect(async () => {
      await staff.reload();
      await expect(alert).toBeVisible({ timeout: 500 });
    }).toPass({ timeout: 30_000 });

    const trader = await (await fetch(`${server.base}/sim/traders/${minted.login}`)).json();
    expect(trader.history).toHaveLength(2);
    const ids = trader.history.map((h: { balanceHistoryId: number }) => h.balanceHistoryId).join(', ');
    await expect(alert.getByRole('heading')).toHaveText('Deposits credited twice (1)');
    await expect(alert.getByTestId('duplicate-credit')).toContainText(depositId);
    await expect(alert.getByTestId('duplicate-credit')).toContainText(`balanceHistoryId ${ids}`);
    const axe = await new AxeBuilder({ page: staff }).withTags(['wcag2a', 'wcag2aa']).analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);

    await alert.getByRole('button', { name: 'Extra copy reversed' }).click();
    await expect(staff.getByTestId('signed-in-as')).toBeVisible();
    await expect(alert).toHaveCount(0);
    await expect(staff.getByTestId('bo-deposit').filter({ hasText: depositId })).toHaveAttribute('data-state', 'credited');
  } finally {
    await server.stop();
  }
});
