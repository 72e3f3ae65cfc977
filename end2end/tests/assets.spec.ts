import { test, expect, Response } from '@playwright/test';
import { mint, freshLogin, depositFormReady } from './helpers';

// What a phone on a slow network downloads for a screen: the page compressed
// as it goes, the WASM, JS and CSS under content-hashed names, sent as their
// precompressed brotli copies and kept for a year, so a second visit fetches
// none of them again.
test('a screen arrives compressed, its files hashed, precompressed and cached for good', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  const files: Response[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) files.push(r);
  });
  const opened = await page.goto(`/inapp/deposit?token=${token}&account=${login}`);
  await depositFormReady(page);
  // The screen (after the token link's redirect) comes compressed.
  expect(await opened!.headerValue('content-encoding')).toMatch(/^(br|gzip)$/);

  const kinds = files.map((r) => new URL(r.url()).pathname.split('.').pop());
  expect(new Set(kinds)).toEqual(new Set(['css', 'js', 'wasm']));
  for (const r of files) {
    const name = new URL(r.url()).pathname;
    expect(name, 'a content-hashed name').toMatch(/^\/pkg\/broker-inapp\.[A-Za-z0-9_-]{10,}\.(css|js|wasm)$/);
    expect(await r.headerValue('content-encoding'), name).toBe('br');
    expect(await r.headerValue('vary'), name).toBe('accept-encoding');
    expect(await r.headerValue('cache-control'), name).toBe('public, max-age=31536000, immutable');
  }
});
