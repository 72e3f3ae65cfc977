import { test, expect, Response } from '@playwright/test';
import { mint, freshLogin, depositFormReady } from './helpers';

// What a phone on a slow network downloads for a screen: the page compressed
// as it goes, carrying its own styles (no stylesheet request before the
// first paint), the WASM and JS under content-hashed names, sent as their
// precompressed brotli copies and kept for a year, so a second visit fetches
// none of them again.
test('a screen arrives compressed with its styles, its files hashed, precompressed and cached for good', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  const files: Response[] = [];
  const stylesheets: string[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) files.push(r);
    if (r.request().resourceType() === 'stylesheet') stylesheets.push(r.url());
  });
  const opened = await page.goto(`/inapp/deposit?token=${token}&account=${login}`);
  await depositFormReady(page);
  // The screen (after the token link's redirect) comes compressed.
  expect(await opened!.headerValue('content-encoding')).toMatch(/^(br|gzip)$/);
  // Styled, by the site's CSS and the broker's theme (its brand colour), with
  // no stylesheet fetched.
  await expect(page.getByTestId('submit')).toHaveCSS('background-color', 'rgb(29, 78, 216)');
  await expect(page.getByTestId('submit')).toHaveCSS('min-height', '48px');
  expect(stylesheets).toEqual([]);

  const kinds = files.map((r) => new URL(r.url()).pathname.split('.').pop());
  expect(new Set(kinds)).toEqual(new Set(['js', 'wasm']));
  for (const r of files) {
    const name = new URL(r.url()).pathname;
    expect(name, 'a content-hashed name').toMatch(/^\/pkg\/broker-inapp\.[A-Za-z0-9_-]{10,}\.(js|wasm)$/);
    expect(await r.headerValue('content-encoding'), name).toBe('br');
    expect(await r.headerValue('vary'), name).toBe('accept-encoding');
    expect(await r.headerValue('cache-control'), name).toBe('public, max-age=31536000, immutable');
  }
});

// Pages outside the screens (the landing pages cTrader watches for) link the
// same hashed stylesheet, kept for good.
test('a landing page links the hashed stylesheet, precompressed and cached for good', async ({ page }) => {
  const sheets: Response[] = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'stylesheet') sheets.push(r);
  });
  await page.goto('/done/success');
  await expect(page.getByTestId('done')).toBeVisible();
  const site = sheets.find((r) => new URL(r.url()).pathname.startsWith('/pkg/'));
  expect(new URL(site!.url()).pathname).toMatch(/^\/pkg\/broker-inapp\.[A-Za-z0-9_-]{10,}\.css$/);
  expect(await site!.headerValue('content-encoding')).toBe('br');
  expect(await site!.headerValue('cache-control')).toBe('public, max-age=31536000, immutable');
});
