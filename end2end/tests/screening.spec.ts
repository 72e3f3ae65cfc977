import { test, expect } from '@playwright/test';
import { mint, freshLogin, staffSignIn, submitStandardKyc } from './helpers';
import { jpeg, pdf } from './fixtures';

// Sanctions screening as compliance and the trader meet it. The server's
// sample UN list holds an invented "IVAN SERGEEVICH SAMPLOV", born 1971-03-09.

test('a listed trader: the case waits on hold, unseen by the trader, until compliance clears the match with a note; then it is approved', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });
  await page.goto(`/inapp/kyc?token=${token}&kycType=standard`);
  // The list's name in another order, without the patronymic.
  await submitStandardKyc(page, 'Samplov Ivan', '1971-03-09', await jpeg(browser), pdf({}));
  // Nothing tells the trader (tipping off).
  await expect(page.locator('body')).not.toContainText(/sanction|screening|on hold/i);

  const staff = await staffSignIn(browser);
  await staff.goto('/backoffice/kyc');
  await expect(staff.getByTestId('screening-waiting').getByRole('link', { name: new RegExp(`^${login} · UN Security Council`) })).toBeVisible();
  await staff.goto(`/backoffice/kyc/${login}`);
  const hit = staff.getByTestId('screening-hit');
  await expect(hit).toHaveAttribute('data-state', 'open');
  await expect(hit).toContainText('IVAN SERGEEVICH SAMPLOV');
  await expect(hit.getByTestId('screening-entry')).toContainText('ref SMi.001');
  await expect(hit.getByTestId('screening-entry')).toContainText('born 1971-03-09');
  await expect(staff.getByTestId('screening-hold')).toBeVisible();
  await expect(staff.getByTestId('kyc-approve')).toHaveCount(0);

  // Clearing without a note is not possible; with one, it is recorded with who.
  await hit.getByTestId('screening-clear').click();
  await expect(hit).toHaveAttribute('data-state', 'open');
  const note = 'Different person: passport photo and place of birth differ';
  await hit.getByLabel('Note (required: why)').fill(note);
  await hit.getByTestId('screening-clear').click();
  await expect(hit).toHaveAttribute('data-state', 'cleared');
  await expect(hit.getByTestId('screening-decided')).toContainText('e2e-admin@broker.example');
  await expect(hit.getByTestId('screening-decided')).toContainText(note);
  await expect(staff.getByTestId('screening-hold')).toHaveCount(0);

  await staff.getByTestId('kyc-approve').click();
  await expect(staff.getByTestId('kyc-case-state')).toHaveAttribute('data-state', 'approved');
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'approved');
});
