import { test, expect, Page, Browser } from '@playwright/test';
import { mint, freshLogin } from './helpers';
import { jpeg, pdf, FileFixture } from './fixtures';

// Sanctions screening as compliance and the trader meet it. The server's
// sample UN list holds an invented "IVAN SERGEEVICH SAMPLOV", born 1971-03-09.

async function staffSignIn(browser: Browser): Promise<Page> {
  const staff = await (await browser.newContext()).newPage();
  await staff.goto('/backoffice/sign-in');
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('e2e staff password');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByTestId('signed-in-as')).toContainText('e2e-admin@broker.example');
  return staff;
}

async function upload(page: Page, documentType: string, file: FileFixture) {
  await page.goto(`/inapp/kyc/upload?documentType=${documentType}`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await page.getByLabel('Choose a file or take a photo').first().setInputFiles(file);
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
}

test('a listed trader: the case waits on hold, unseen by the trader, until compliance clears the match with a note; then it is approved', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });
  await page.goto(`/inapp/kyc?token=${token}&kycType=standard`);
  await expect(page.getByTestId('kyc-save')).toBeEnabled();
  // The list's name in another order, without the patronymic.
  await page.getByLabel('Full name').fill('Samplov Ivan');
  await page.getByLabel('Date of birth').fill('1971-03-09');
  await page.getByLabel('Address').fill('Musterweg 1, 10115 Berlin');
  await page.getByLabel('Country').selectOption('DE');
  await page.getByTestId('kyc-save').click();
  await expect(page.getByTestId('kyc-saved')).toBeVisible();
  await upload(page, 'identity', await jpeg(browser));
  await upload(page, 'address', pdf({}));
  await page.getByTestId('kyc-to-status').click();
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'submitted');
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
