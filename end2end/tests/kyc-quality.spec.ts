import { test, expect } from '@playwright/test';
import { mint, freshLogin, staffSignIn } from './helpers';
import { pagePhoto } from './fixtures';

// Photo quality checked in the browser before anything is sent: each
// problem has its own message, a doubtful photo can be used anyway, and
// the reviewer sees the server's own measure of what was sent.

test('a blurry, dark, glared or distant photo is named as such before upload; a sharp one is not; a doubtful one can be used anyway', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  const picker = page.getByLabel('Choose a file or take a photo').first();

  const messages = {
    blurry: 'It looks blurry. Hold the phone still',
    dark: 'It is too dark.',
    glare: 'There is a glare on the document.',
    far: 'The document takes up too little of the photo. Move closer',
  } as const;
  for (const flaw of ['blurry', 'dark', 'glare', 'far'] as const) {
    await picker.setInputFiles(await pagePhoto(browser, flaw));
    const warning = page.getByTestId('kyc-quality');
    await expect(warning).toBeVisible();
    await expect(warning.getByTestId('kyc-quality-problem')).toHaveAttribute('data-problem', flaw);
    await expect(warning).toContainText(messages[flaw]);
    await expect(page.getByTestId('kyc-upload')).toHaveCount(0);
  }

  await picker.setInputFiles(await pagePhoto(browser, 'none'));
  await expect(page.getByTestId('kyc-upload')).toBeVisible();
  await expect(page.getByTestId('kyc-quality')).toHaveCount(0);

  // A blurry one sent anyway: the reviewer sees the server's measure.
  await picker.setInputFiles(await pagePhoto(browser, 'blurry'));
  await page.getByTestId('kyc-use-anyway').click();
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  const staff = await staffSignIn(browser);
  await staff.goto(`/backoffice/kyc/${login}`);
  await expect(staff.locator('[data-testid="kyc-doc"][data-type="identity"]').getByTestId('kyc-doc-quality')).toHaveAttribute('data-problems', 'blurry');
});
