import { APIRequestContext, Browser, Page, expect, test } from '@playwright/test';
import { FileFixture } from './fixtures';

export type Minted = { token: string; login: number; userId: number; traderId: number; accountId: number };

/** Mints a one-time token through the simulator's control API, as cTrader would issue one. */
export async function mint(request: APIRequestContext, body: Record<string, unknown> = {}): Promise<Minted> {
  const res = await request.post('/sim/tokens', { data: body });
  expect(res.status()).toBe(201);
  return res.json();
}

let used = 0;
/**
 * A login no other test uses. Each run starts a fresh server, and every
 * worker process (a restarted one included) has its own workerIndex, so
 * ranges never overlap.
 */
export function freshLogin(): number {
  used += 1;
  return 200_000 + test.info().workerIndex * 10_000 + used;
}

export const SCREENS = [
  { path: '/inapp/deposit', extra: 'account=LOGIN', title: 'Deposit' },
  { path: '/inapp/kyc', extra: 'kycType=standard', title: 'Verify your identity' },
  { path: '/inapp/kyc/upload', extra: 'documentType=identity', title: 'Upload a document' },
  { path: '/inapp/kyc/status', extra: '', title: 'Verification status' },
  { path: '/inapp/chat', extra: 'theme=dark', title: 'Support' },
  { path: '/inapp/action', extra: 'actionType=transfer', title: 'Your request' },
  { path: '/inapp/action', extra: 'actionType=withdraw', title: 'Withdraw funds' },
];

/** A screen's address without its token: what tests name it by. */
export function screenName(screen: { path: string; extra: string }): string {
  const extra = screen.extra.replace('account=LOGIN', '').replace(/^&|&$/g, '');
  return extra ? `${screen.path}?${extra}` : screen.path;
}

/** Waits until the deposit form is hydrated (it says so in `data-ready`). */
export async function depositFormReady(page: Page) {
  await expect(page.getByTestId('deposit-form')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
}

/**
 * Every request with this method to this path that leaves the page from now
 * on (reloads included): for showing that something was, or was not, sent.
 */
export function watchRequests(page: Page, method: string, pathname: string): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (r.method() === method && new URL(r.url()).pathname === pathname) seen.push(r.url());
  });
  return seen;
}

/** The e2e admin, signed in to the back-office in a browser context of its own. */
export async function staffSignIn(browser: Browser, base = ''): Promise<Page> {
  const staff = await (await browser.newContext()).newPage();
  await staff.goto(`${base}/backoffice/sign-in`);
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('e2e staff password');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByTestId('signed-in-as')).toContainText('e2e-admin@broker.example');
  return staff;
}

/**
 * The trader's standard KYC: details (`name`, born `dob`), an identity photo
 * and a proof of address, through the screens (of the server at `base`: the
 * suite's own by default).
 */
export async function submitStandardKyc(page: Page, name: string, dob: string, identity: FileFixture, address: FileFixture, base = '') {
  await expect(page.getByTestId('kyc-save')).toBeEnabled();
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Date of birth').fill(dob);
  await page.getByLabel('Address').fill('Musterweg 1, 10115 Berlin');
  await page.getByLabel('Country').selectOption('DE');
  await page.getByTestId('kyc-save').click();
  await expect(page.getByTestId('kyc-saved')).toBeVisible();
  for (const [documentType, file] of [['identity', identity], ['address', address]] as const) {
    await page.goto(`${base}/inapp/kyc/upload?documentType=${documentType}`);
    await expect(page.getByTestId('kyc-dropzone')).toHaveAttribute('data-ready', 'true');
    await page.getByLabel('Choose a file or take a photo').first().setInputFiles(file);
    await page.getByTestId('kyc-upload').click();
    await expect(page.getByTestId('kyc-uploaded')).toBeVisible();
  }
  await page.getByTestId('kyc-to-status').click();
  await expect(page.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'submitted');
}
