import { APIRequestContext, Page, expect, test } from '@playwright/test';

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
