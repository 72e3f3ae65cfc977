import { test, expect } from '@playwright/test';
import { mint, freshLogin } from './helpers';

test('a configured form action is checked, sent, and seen in the back-office', async ({ page, browser, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/action?token=${token}&actionType=transfer`);
  await expect(page.getByTestId('action-title')).toHaveText('Transfer request');
  const send = page.getByTestId('action-submit');
  await expect(send).toBeEnabled();

  // The browser applies the same rules as the server.
  await send.click();
  await expect(page.getByTestId('action-error-amount')).toHaveText('This field is required.');
  await expect(page.getByTestId('action-error-to')).toHaveText('This field is required.');
  await page.getByLabel('Amount').fill('10.005');
  await send.click();
  await expect(page.getByTestId('action-error-amount')).toHaveText('Use at most 2 decimal places.');
  await expect(page.getByLabel('Amount')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Amount').fill('250');
  await page.getByLabel('Transfer to').selectOption('another_account');
  await page.getByLabel('Account number or note (optional)').fill('Trading account 100123');
  await send.click();
  const done = page.getByTestId('action-done');
  await expect(done).toContainText('Your request was sent. Reference: req_');
  const reference = (await done.textContent())!.split('Reference: ')[1].trim();

  // Support staff, in another browser context, find it under Requests.
  const staff = await (await browser.newContext()).newPage();
  await staff.goto('/backoffice/sign-in');
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('e2e staff password');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await staff.getByTestId('nav-requests').click();
  const row = staff.locator(`[data-testid="bo-request"][data-login="${login}"]`);
  await expect(row).toContainText(reference);
  await expect(row).toContainText('Transfer request');
  await expect(row).toContainText('250.00');
  await expect(row).toContainText('Trading account 100123');
});

test('an action type the broker did not configure shows its own page', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/action?token=${token}&actionType=teleport`);
  const notice = page.getByTestId('action-unknown');
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('heading')).toHaveText('This action is not available');
  await expect(page.getByTestId('close')).toBeVisible();
  await expect(page.getByTestId('action-submit')).toHaveCount(0);
});

test('the action speaks the platform\'s language', async ({ page, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/action?token=${token}&actionType=account_manager&lang=de`);
  await expect(page.getByTestId('action-title')).toHaveText('Meinen Kundenbetreuer kontaktieren');
  await expect(page.getByLabel('Thema')).toBeVisible();
  await expect(page.getByTestId('action-submit')).toHaveText('Anfrage senden');
});

test('a hand-off posts a signed assertion to the broker\'s page in the same window', async ({ page, request }) => {
  let posted = '';
  await page.route('https://clients.broker.example/**', async (route) => {
    posted = route.request().postData() ?? '';
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>Client area</title><h1>Client area</h1></html>' });
  });
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/action?token=${token}&actionType=client_area`);
  await expect(page.getByTestId('action-title')).toHaveText('Open the client area');
  await expect(page.getByTestId('action-continue')).toBeEnabled();
  await page.getByTestId('action-continue').click();
  await expect(page).toHaveURL('https://clients.broker.example/inapp-sso');
  await expect(page.getByRole('heading')).toHaveText('Client area');
  expect(posted).toMatch(/^assertion=[\w-]+\.[\w-]+\.[\w-]+$/);
});
