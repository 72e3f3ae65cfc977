import { test, expect, Page } from '@playwright/test';
import { mint, freshLogin, watchRequests, staffSignIn } from './helpers';
import { jpeg, pdf, fakeJpeg, FileFixture } from './fixtures';

const REASON = 'The bill is older than three months.';

/** Opens the upload screen for one document and waits until it is interactive. */
async function openUpload(page: Page, documentType: string) {
  await page.goto(`/inapp/kyc/upload?documentType=${documentType}`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
}

async function choose(page: Page, file: FileFixture) {
  await page.getByLabel('Choose a file or take a photo').first().setInputFiles(file);
}

async function fillDetails(page: Page, d: { name: string; dob: string; address: string; country: string }) {
  await expect(page.getByTestId('kyc-save')).toBeEnabled();
  await page.getByLabel('Full name').fill(d.name);
  await page.getByLabel('Date of birth').fill(d.dob);
  await page.getByLabel('Address').fill(d.address);
  await page.getByLabel('Country').selectOption(d.country);
  await page.getByTestId('kyc-save').click();
}

/** Slows this page's uploads down so the progress bar can be watched. */
async function throttleUploads(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return async () => {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  };
}

test('KYC: details, photo and PDF uploaded, address rejected with a reason seen live, re-sent, approved, access rights changed in cTrader', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, accessRights: 'NO_TRADING' });

  // Step 1: personal details, with the progress indicator.
  await page.goto(`/inapp/kyc?token=${token}&kycType=standard`);
  const steps = page.getByTestId('kyc-step');
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(0)).toHaveAttribute('data-state', 'current');
  await fillDetails(page, { name: 'Anna Schmidt', dob: '1990-04-01', address: 'Hauptstraße 5, 10115 Berlin', country: 'DE' });
  await expect(page.getByTestId('kyc-saved')).toHaveText('Your details are saved.');
  await expect(steps.nth(0)).toHaveAttribute('data-state', 'done');
  await expect(steps.nth(1)).toHaveAttribute('data-state', 'current');

  // Step 2: a real JPEG photo, previewed before it is sent.
  await page.getByTestId('kyc-upload-identity').click();
  await expect(page).toHaveURL(/documentType=identity/);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await choose(page, await jpeg(browser));
  await expect(page.getByTestId('kyc-preview-image')).toBeVisible();
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toHaveText('Your document was received.');

  // Step 3: a PDF, its name and page count shown; a slow upload shows its
  // progress, can be cancelled, and tried again.
  await openUpload(page, 'address');
  const bill = pdf({ pages: 2, bytes: 1024 * 1024 });
  await choose(page, bill);
  await expect(page.getByTestId('kyc-preview-pdf')).toHaveText('utility-bill.pdf · 2 page(s)');
  const unthrottle = await throttleUploads(page, 128 * 1024);
  await page.getByTestId('kyc-upload').click();
  const progress = page.getByTestId('kyc-progress');
  await expect(progress).toBeVisible();
  await expect.poll(async () => Number(await progress.getAttribute('value'))).toBeGreaterThan(0);
  await page.getByTestId('kyc-cancel').click();
  await expect(page.getByText('Upload cancelled.')).toBeVisible();
  await unthrottle();
  await page.getByTestId('kyc-retry').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();

  // The status screen: submitted, everything received.
  const reads = watchRequests(page, 'POST', '/api/kyc/view');
  await page.getByTestId('kyc-to-status').click();
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'submitted');
  const address = page.locator('[data-testid="kyc-req"][data-type="address"]');
  // The screen is told when the case changes (its account's event stream)
  // and asks nothing on a timer. Once it has taken the look it takes when
  // its stream opens, and the last upload's news has come (the SQLite
  // change log is read every 500 ms), it reads at most once more in 6 s
  // while nothing happens, where a poll every two seconds reads three times.
  await expect.poll(() => reads.length).toBeGreaterThan(0);
  await page.waitForTimeout(1_000);
  const settled = reads.length;
  await page.waitForTimeout(6_000);
  expect(reads.length - settled).toBeLessThanOrEqual(1);
  await expect(address).toHaveAttribute('data-state', 'uploaded');
  await expect(page.getByTestId('kyc-timeline').locator('li')).toHaveCount(3);

  // Compliance, in another browser context, rejects the proof of address.
  const staff = await staffSignIn(browser);
  await staff.goto('/backoffice/kyc');
  await expect(staff.locator(`[data-testid="kyc-case"][data-login="${login}"]`)).toHaveAttribute('data-state', 'submitted');
  await staff.goto(`/backoffice/kyc/${login}`);
  await expect(staff.getByTestId('kyc-detail-full_name')).toHaveText('Anna Schmidt');
  await expect(staff.getByTestId('kyc-doc')).toHaveCount(2);
  await staff.locator('#reason-kyc-reject-address').fill(REASON);
  await staff.getByTestId('kyc-reject-address').click();
  await expect(staff.locator('[data-testid="kyc-doc"][data-type="address"]')).toHaveAttribute('data-state', 'rejected');

  // The trader's open status screen shows it without a reload.
  await expect(address).toHaveAttribute('data-state', 'rejected');
  await expect(address.getByTestId('kyc-reason')).toHaveText(`Reason: ${REASON}`);
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'more_info');

  // The trader sends a new proof of address from the re-upload link.
  await address.getByTestId('kyc-reupload').click();
  await expect(page).toHaveURL(/documentType=address/);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await choose(page, pdf({ name: 'bank-statement.pdf' }));
  await expect(page.getByTestId('kyc-preview-pdf')).toHaveText('bank-statement.pdf · 1 page(s)');
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  await page.getByTestId('kyc-to-status').click();
  await expect(address).toHaveAttribute('data-state', 'uploaded');

  // Compliance approves; the audit log says who did what and why.
  await staff.reload();
  await expect(staff.locator('[data-testid="kyc-doc"][data-type="address"]')).toHaveAttribute('data-state', 'uploaded');
  await staff.getByTestId('kyc-approve').click();
  await expect(staff.getByTestId('kyc-case-state')).toHaveAttribute('data-state', 'approved');
  const rejected = staff.getByTestId('kyc-audit-row').filter({ hasText: 'Document rejected' });
  await expect(rejected).toContainText('e2e-admin@broker.example');
  await expect(rejected).toContainText(REASON);

  // The trader sees it live, and cTrader has the new access rights.
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'approved');
  await expect(page.locator('[data-testid="kyc-req"][data-state="accepted"]')).toHaveCount(3);
  await expect
    .poll(async () => (await (await request.get(`/sim/traders/${login}`)).json()).accessRights, { timeout: 20_000 })
    .toBe('FULL_ACCESS');
  const trader = await (await request.get(`/sim/traders/${login}`)).json();
  expect(trader.updates.map((u: any) => [u.field, u.value])).toEqual([['accessRights', 'FULL_ACCESS']]);
});

test('the browser refuses a file too small or not really an image, and sends nothing', async ({ page, browser, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  const uploads = watchRequests(page, 'POST', '/inapp/kyc/documents');

  const tiny = await jpeg(browser, { width: 200, height: 200, small: true, name: 'tiny.jpg' });
  expect(tiny.buffer.length).toBeLessThan(32 * 1024);
  await choose(page, tiny);
  await expect(page.getByTestId('kyc-file-error')).toHaveText('The file must be at least 32 KiB. A clearer photo or scan usually helps.');
  await expect(page.getByTestId('kyc-upload')).toHaveCount(0);

  await choose(page, fakeJpeg());
  await expect(page.getByTestId('kyc-file-error')).toHaveText('Only JPEG, PNG or PDF files can be sent.');
  await expect(page.getByTestId('kyc-preview-image')).toHaveCount(0);
  await expect(page.getByTestId('kyc-upload')).toHaveCount(0);
  expect(uploads, 'no upload left the browser').toEqual([]);

  // The count is real: a good photo afterwards is one upload, and the
  // refusals left nothing on the server either.
  await choose(page, await jpeg(browser));
  await expect(page.getByTestId('kyc-file-error')).toHaveText('');
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  expect(uploads).toHaveLength(1);
  await page.goto('/inapp/kyc/status');
  await expect(page.getByTestId('kyc-timeline').locator('li')).toHaveCount(1);
});

test('an image larger than the largest side is refused in the browser, with its message, before any upload', async ({ page, browser, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  const uploads = watchRequests(page, 'POST', '/inapp/kyc/documents');

  // One pixel wider than kyc.max_image_side (8000), and big enough in bytes
  // that only its dimensions are wrong.
  const wide = await jpeg(browser, { width: 8001, height: 8, name: 'panorama.jpg' });
  expect(wide.buffer.length).toBeGreaterThan(32 * 1024);
  await choose(page, wide);
  await expect(page.getByTestId('kyc-file-error')).toHaveText('The image must be at most 8000 × 8000 pixels.');
  await expect(page.getByTestId('kyc-preview-image')).toHaveCount(0);
  await expect(page.getByTestId('kyc-upload')).toHaveCount(0);
  expect(uploads, 'no upload left the browser').toEqual([]);

  // At the limit it passes.
  await choose(page, await jpeg(browser, { width: 8000, height: 8, name: 'panorama.jpg' }));
  await expect(page.getByTestId('kyc-preview-image')).toBeVisible();
  await expect(page.getByTestId('kyc-file-error')).toHaveText('');
  // An 8-pixel strip is no readable document: the quality check says so, and it may be sent anyway.
  await expect(page.locator('[data-testid="kyc-quality-problem"][data-problem="small"]')).toBeVisible();
  await page.getByTestId('kyc-use-anyway').click();
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  expect(uploads).toHaveLength(1);
});

test('a photo from the camera input (capture: the rear camera) is previewed and uploaded', async ({ page, browser, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  // On a phone, `capture` opens the camera instead of the file picker.
  const camera = page.locator('input[type="file"][capture]');
  await expect(camera).toHaveCount(1);
  await expect(camera).toHaveAttribute('capture', 'environment');
  await expect(camera).toHaveAttribute('accept', /^image\//);
  // The plain picker does not force the camera: files and PDFs stay possible.
  await expect(page.getByTestId('kyc-file')).not.toHaveAttribute('capture', /.*/);

  await camera.setInputFiles(await jpeg(browser, { name: 'camera.jpg' }));
  await expect(page.getByTestId('kyc-preview-image')).toBeVisible();
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toHaveText('Your document was received.');
  await page.getByTestId('kyc-to-status').click();
  await expect(page.locator('[data-testid="kyc-req"][data-type="identity"]')).toHaveAttribute('data-state', 'uploaded');
});

test('the trader can open the camera from the upload screen', async ({ page, browser, request }) => {
  const { token } = await mint(request, { login: freshLogin() });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=identity`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  await page.getByTestId('kyc-dropzone').scrollIntoViewIfNeeded();
  // Something a finger can hit (at least 24×24 px, not covered) that opens the camera input.
  const spot = await page.evaluate(() => {
    const input = document.querySelector<HTMLInputElement>('input[type="file"][capture]');
    if (!input) return null;
    for (const el of [input, ...Array.from(input.labels ?? [])]) {
      const r = el.getBoundingClientRect();
      if (r.width < 24 || r.height < 24) continue;
      const [x, y] = [r.left + r.width / 2, r.top + r.height / 2];
      const hit = document.elementFromPoint(x, y);
      if (hit && (hit === el || el.contains(hit))) return { x, y };
    }
    return null;
  });
  expect(spot, 'a visible control that opens the camera').not.toBeNull();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.mouse.click(spot!.x, spot!.y)]);
  expect(await chooser.element().getAttribute('capture')).toBe('environment');
  await chooser.setFiles(await jpeg(browser, { name: 'camera.jpg' }));
  await expect(page.getByTestId('kyc-preview-image')).toBeVisible();
});

test('a file dropped on the drop zone is previewed and uploaded', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await page.goto(`/inapp/kyc/upload?token=${token}&documentType=address`);
  await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
  const uploads = watchRequests(page, 'POST', '/inapp/kyc/documents');

  // A real drag: dragenter, dragover and drop carrying a DataTransfer with
  // the file, on the zone's "or drop a file here" text.
  const file = pdf({ pages: 3, name: 'dropped-statement.pdf' });
  const handled = await page.getByText('or drop a file here').evaluate(
    (target, { base64, name, type }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type }));
      const fire = (kind: string) => {
        const ev = new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data });
        target.dispatchEvent(ev);
        return ev.defaultPrevented;
      };
      fire('dragenter');
      return { dragover: fire('dragover'), drop: fire('drop') };
    },
    { base64: file.buffer.toString('base64'), name: file.name, type: file.mimeType },
  );
  // The page takes the drop itself: the browser neither refuses it (dragover)
  // nor opens the file in place of the screen (drop).
  expect(handled).toEqual({ dragover: true, drop: true });
  await expect(page.getByTestId('kyc-preview-pdf')).toHaveText('dropped-statement.pdf · 3 page(s)');
  expect(uploads).toEqual([]);
  await page.getByTestId('kyc-upload').click();
  await expect(page.getByTestId('kyc-uploaded')).toHaveText('Your document was received.');
  expect(uploads).toHaveLength(1);
  await page.getByTestId('kyc-to-status').click();
  await expect(page.locator('[data-testid="kyc-req"][data-type="address"]')).toHaveAttribute('data-state', 'uploaded');
});

test('personal details are checked in the browser and kept for the next visit', async ({ page, request }) => {
  const login = freshLogin();
  const first = await mint(request, { login });
  await page.goto(`/inapp/kyc?token=${first.token}`);
  const adult = new Date();
  adult.setFullYear(adult.getFullYear() - 17);
  await fillDetails(page, { name: '', dob: adult.toISOString().slice(0, 10), address: 'Via Roma 1, Milano', country: 'IT' });
  await expect(page.getByTestId('kyc-error-full_name')).toHaveText('This field is required.');
  await expect(page.getByTestId('kyc-error-date_of_birth')).toHaveText('You must be at least 18 years old.');
  await expect(page.getByLabel('Date of birth')).toHaveAttribute('aria-invalid', 'true');

  await fillDetails(page, { name: 'Marco Bianchi', dob: '1985-12-24', address: 'Via Roma 1, Milano', country: 'IT' });
  await expect(page.getByTestId('kyc-saved')).toBeVisible();

  // Closed and opened again from cTrader with a new token: resumes where it was.
  const again = await mint(request, { login });
  await page.goto(`/inapp/kyc?token=${again.token}`);
  await expect(page.getByLabel('Full name')).toHaveValue('Marco Bianchi');
  await expect(page.getByLabel('Date of birth')).toHaveValue('1985-12-24');
  await expect(page.getByLabel('Country')).toHaveValue('IT');
  await expect(page.getByTestId('kyc-step').nth(0)).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('kyc-step').nth(1)).toHaveAttribute('data-state', 'current');
});
