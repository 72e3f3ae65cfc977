import { test, expect } from '@playwright/test';
import { mint, freshLogin } from './helpers';
import { jpeg } from './fixtures';

// "Continue on your phone": a desktop without a camera shows a QR code on the
// upload screen; a phone (a second browser context) opening its link gets
// the same trader's upload screen, and the desktop moves on by itself when
// the document arrives. The link works once, and a browser signed in to
// another trader is refused (expiry is covered by `it/handoff.rs`).

test('the phone sends the document and the desktop moves on; the link works once and not for another account', async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  await page.goto(`/inapp/kyc/upload?token=${(await mint(request, { login })).token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  // This browser has no camera: the hand-off is offered.
  await page.getByTestId('kyc-handoff').click();
  const qr = page.getByTestId('kyc-handoff-qr');
  await expect(qr.locator('svg')).toBeVisible();
  await expect(qr.getByRole('img', { name: 'QR code for your phone' })).toBeVisible();
  const link = (await qr.getAttribute('data-url'))!;
  expect(link).toMatch(/\/kyc\/handoff\/[A-Za-z0-9_-]{40,}$/);

  const phone = await (await browser.newContext()).newPage();
  await phone.goto(link);
  await expect(phone).toHaveURL(/\/inapp\/kyc\/upload\?documentType=identity$/);
  await expect(phone.getByTestId('trader-login')).toContainText(String(login));
  await expect(phone.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await phone.getByLabel('Choose a file or take a photo').first().setInputFiles(await jpeg(browser));
  await phone.getByTestId('kyc-upload').click();
  await expect(phone.getByTestId('kyc-uploaded')).toBeVisible();

  // The desktop saw it arrive, live.
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  await expect(qr).toHaveCount(0);

  // Used: refused.
  const again = await (await browser.newContext()).newPage();
  await again.goto(link);
  await expect(again.getByRole('heading', { level: 1 })).toHaveText('This link was used or has expired');

  // A browser signed in to another trader: refused, the new link left unused.
  await page.goto('/inapp/kyc/upload?documentType=address');
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('kyc-handoff').click();
  const second = (await page.getByTestId('kyc-handoff-qr').getAttribute('data-url'))!;
  const other = await (await browser.newContext()).newPage();
  await other.goto(`/inapp/kyc?token=${(await mint(request, { login: freshLogin() })).token}`);
  await other.goto(second);
  await expect(other.getByRole('heading', { level: 1 })).toHaveText('This link is for another account');
  await phone.goto(second);
  await expect(phone).toHaveURL(/\/inapp\/kyc\/upload\?documentType=address$/);
});

test('a link left longer than kyc.handoff_minutes is refused', async ({ page, browser }, info) => {
  // A server of its own: its clock is moved forward.
  const { OwnServer, startAlone } = await import('./server');
  const server = new OwnServer(4500 + info.workerIndex, { INAPP_SERVER__TEST_ROUTES: 'true' });
  await startAlone(server);
  try {
    const minted = await fetch(`${server.base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({}) });
    await page.goto(`${server.base}/inapp/kyc/upload?token=${(await minted.json()).token}&documentType=identity`);
    await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
    await page.getByTestId('kyc-handoff').click();
    const link = (await page.getByTestId('kyc-handoff-qr').getAttribute('data-url'))!;
    // Eleven minutes on (the link works for ten).
    expect((await fetch(`${server.base}/__test/clock?advance_ms=${11 * 60 * 1000}`, { method: 'POST' })).status).toBe(204);
    const phone = await (await browser.newContext()).newPage();
    await phone.goto(link);
    await expect(phone.getByRole('heading', { level: 1 })).toHaveText('This link was used or has expired');
  } finally {
    await server.stop();
  }
});
