import { test, expect } from '@playwright/test';
import { mint, freshLogin, staffSignIn, submitStandardKyc } from './helpers';
import { jpeg, pdf } from './fixtures';

test('retry versus final as the trader sees them: a rejected bill may be sent again, an identity rejected for good leads to support; the internal note stays with staff', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });
  await page.goto(`/inapp/kyc?token=${token}&kycType=standard`);
  await submitStandardKyc(page, 'Marta Kowalska', '1988-02-14', await jpeg(browser), pdf({}));

  const internal = 'Second attempt with an edited image; see ticket 7731';
  const staff = await staffSignIn(browser);
  await staff.goto(`/backoffice/kyc/${login}`);
  await staff.locator('#reason-kyc-reject-identity').fill('A scan of a photocopy is not accepted.');
  await staff.getByTestId('retry-kyc-reject-identity-final').check();
  await staff.locator('#internal-kyc-reject-identity').fill(internal);
  await staff.getByTestId('kyc-reject-identity').click();
  await expect(staff.locator('[data-testid="kyc-doc"][data-type="identity"]').getByTestId('kyc-doc-final')).toBeVisible();
  await staff.locator('#reason-kyc-reject-address').fill('The bill is older than three months.');
  await staff.getByTestId('kyc-reject-address').click();
  await expect(staff.locator('[data-testid="kyc-doc"][data-type="address"]').getByTestId('kyc-doc-retry')).toBeVisible();
  await expect(staff.getByTestId('kyc-audit-internal').filter({ hasText: internal })).toHaveCount(1);

  // The trader's open status screen, live.
  const identity = page.locator('[data-testid="kyc-req"][data-type="identity"]');
  const address = page.locator('[data-testid="kyc-req"][data-type="address"]');
  await expect(identity).toHaveAttribute('data-state', 'rejected');
  await expect(identity.getByTestId('kyc-reason')).toContainText('A scan of a photocopy is not accepted.');
  await expect(identity.getByTestId('kyc-final')).toBeVisible();
  await expect(identity.getByTestId('kyc-reupload')).toHaveCount(0);
  await expect(identity.getByTestId('kyc-final-support')).toHaveAttribute('href', '/inapp/chat');
  await expect(address).toHaveAttribute('data-state', 'rejected');
  await expect(address.getByTestId('kyc-retry-hint')).toBeVisible();
  await expect(address.getByTestId('kyc-final')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('ticket 7731');

  // The identity upload screen offers support instead of a file picker.
  await page.goto('/inapp/kyc/upload?documentType=identity');
  await expect(page.getByTestId('kyc-final')).toBeVisible();
  await expect(page.getByTestId('kyc-dropzone')).toHaveCount(0);

  // The bill is sent again from its re-upload link.
  await page.goto('/inapp/kyc/status');
  await address.getByTestId('kyc-reupload').click();
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await page.getByLabel('Choose a file or take a photo').first().setInputFiles(pdf({ name: 'new-bill.pdf' }));
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  await page.getByTestId('kyc-to-status').click();
  await expect(address).toHaveAttribute('data-state', 'uploaded');
  await expect(identity.getByTestId('kyc-final')).toBeVisible();
});
