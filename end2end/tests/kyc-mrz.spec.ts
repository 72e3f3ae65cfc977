import { test, expect, Page } from '@playwright/test';
import { mint, freshLogin, staffSignIn, submitStandardKyc } from './helpers';
import { jpeg, pdf } from './fixtures';

// The machine-readable zone as the trader types it and the reviewer reads
// it, and an identity already verified under another user flagged.

const LINE1 = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<';
const LINE2 = 'L898902C36UTO7408122F3404159<<<<<<<<<<<<<<<4';

async function typeZone(page: Page, zone: string) {
  await expect(page.getByTestId('kyc-save')).toBeEnabled();
  await page.getByLabel('Machine-readable lines of your passport or ID card (optional)').fill(zone);
}

test('the zone typed by the trader: a line too short is refused in place; its check digits, right and wrong, are shown to the reviewer', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });
  await page.goto(`/inapp/kyc?token=${token}&kycType=standard`);
  // A line cut short: refused in the browser, with what a zone is.
  await typeZone(page, `${LINE1}\n${LINE2.slice(0, 40)}`);
  await page.getByLabel('Full name').fill('Anna Maria Eriksson');
  await page.getByLabel('Date of birth').fill('1974-08-12');
  await page.getByLabel('Address').fill('1 Utopia Square');
  await page.getByLabel('Country').selectOption('DE');
  await page.getByTestId('kyc-save').click();
  await expect(page.locator('#kyc-error-mrz')).toContainText('2 lines of 44 characters');
  // The whole zone, with the document number mistyped (an 8 read as a B), in lower case.
  await typeZone(page, `${LINE1}\n${LINE2.replace('L898902C3', 'L89B902C3')}`.toLowerCase());
  await submitStandardKyc(page, 'Anna Maria Eriksson', '1974-08-12', await jpeg(browser), pdf({}));

  const staff = await staffSignIn(browser);
  await staff.goto(`/backoffice/kyc/${login}`);
  const check = (name: string) => staff.locator(`[data-testid="mrz-check"][data-check="${name}"]`);
  await expect(check('document_number')).toHaveAttribute('data-ok', 'false');
  await expect(check('composite')).toHaveAttribute('data-ok', 'false');
  await expect(check('birth_date')).toHaveAttribute('data-ok', 'true');
  await expect(check('expiry_date')).toHaveAttribute('data-ok', 'true');
  await expect(check('expiry')).toContainText('Valid until 2034-04-15');
  await expect(check('name')).toHaveAttribute('data-ok', 'true');
  await expect(check('birth')).toHaveAttribute('data-ok', 'true');
});

test('the same person already verified under another user is flagged as a duplicate identity', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const staff = await staffSignIn(browser);
  const first = freshLogin();
  await page.goto(`/inapp/kyc?token=${(await mint(request, { login: first })).token}&kycType=standard`);
  await submitStandardKyc(page, 'Tomasz Duplikat', '1981-01-30', await jpeg(browser), pdf({}));
  await staff.goto(`/backoffice/kyc/${first}`);
  await staff.getByTestId('kyc-approve').click();
  await expect(staff.getByTestId('kyc-case-state')).toHaveAttribute('data-state', 'approved');

  const second = freshLogin();
  await page.goto(`/inapp/kyc?token=${(await mint(request, { login: second })).token}&kycType=standard`);
  await submitStandardKyc(page, 'DUPLIKAT Tomasz', '1981-01-30', await jpeg(browser), pdf({}));
  await staff.goto(`/backoffice/kyc/${second}`);
  const hit = staff.locator('[data-testid="screening-hit"][data-kind="duplicate"]');
  await expect(hit).toHaveAttribute('data-state', 'open');
  await expect(hit).toContainText('Duplicate identity · verified traders: Tomasz Duplikat');
  await expect(hit.getByTestId('screening-entry')).toContainText(`login ${first} · same name and date of birth`);
  await expect(staff.getByTestId('kyc-approve')).toHaveCount(0);
});
