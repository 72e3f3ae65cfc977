import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mint, freshLogin, depositFormReady } from './helpers';

test('staff sign in, see a trader\'s deposit, and sign out', async ({ browser, request }) => {
  // The trader, in one browser context, starts a deposit.
  const trader = await browser.newContext();
  const page = await trader.newPage();
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/deposit?token=${token}`);
  await depositFormReady(page);
  await page.getByLabel('Amount').fill('77');
  await page.getByTestId('submit').click();
  await expect(page).toHaveURL(/\/psp\/sandbox\/pay\//);

  // Staff, in another, sign in.
  const staff = await (await browser.newContext()).newPage();
  await staff.goto('/backoffice');
  await expect(staff).toHaveURL(/\/backoffice\/sign-in$/);
  const axe = await new AxeBuilder({ page: staff }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('wrong password!');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByTestId('sign-in-error')).toHaveText('Wrong email or password.');
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('e2e staff password');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByTestId('signed-in-as')).toContainText('e2e-admin@broker.example');
  await expect(staff.getByTestId('bo-deposit').filter({ hasText: String(login) })).toContainText('77.00 USD');
  await staff.getByRole('button', { name: 'Sign out' }).click();
  await expect(staff).toHaveURL(/\/backoffice\/sign-in$/);
});
