import { test, expect, Page, BrowserContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mint, freshLogin } from './helpers';
import { jpeg, pdf } from './fixtures';
import { OwnServer, startAlone } from './server';

/** Opens the trader's chat and waits until its live connection is up. */
async function openChat(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online');
}

async function write(page: Page, text: string) {
  await page.getByLabel('Your message').fill(text);
  await page.getByTestId('chat-send').click();
}

/** The trader's messages with this text (stored or waiting). */
function messages(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-body').getByText(text, { exact: true }) });
}

async function staffSignIn(context: BrowserContext, base = ''): Promise<Page> {
  const staff = await context.newPage();
  await staff.goto(`${base}/backoffice/sign-in`);
  await staff.getByLabel('Email').fill('e2e-admin@broker.example');
  await staff.getByLabel('Password').fill('e2e staff password');
  await staff.getByRole('button', { name: 'Sign in' }).click();
  await expect(staff.getByTestId('signed-in-as')).toBeVisible();
  return staff;
}

function inboxRow(staff: Page, login: number) {
  return staff.locator(`[data-testid="conversation"][data-login="${login}"]`);
}

async function openConversation(staff: Page, base: string, login: number) {
  await staff.goto(`${base}/backoffice/chat`);
  await inboxRow(staff, login).getByRole('link').click();
  await expect(staff.getByTestId('chat-login')).toHaveText(String(login));
}

test('trader and agent talk live in two browsers: unread counts, read receipts, typing, replies, attachments both ways', async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  const { token } = await mint(request, { login, name: 'Maria Rossi' });
  await openChat(page, `/inapp/chat?token=${token}`);
  await expect(page.getByTestId('chat-empty')).toBeVisible();
  await write(page, 'Hello, my deposit has not arrived.');
  await expect(messages(page, 'Hello, my deposit has not arrived.')).toHaveAttribute('data-status', 'sent');

  // The agent's inbox counts it, and counts the next one live.
  const staff = await staffSignIn(await browser.newContext());
  await staff.goto('/backoffice/chat');
  const row = inboxRow(staff, login);
  await expect(row).toHaveAttribute('data-unread', '1');
  await expect(row).toContainText('Maria Rossi');
  await expect(row.getByTestId('conversation-kyc')).toHaveText('Not started');
  await write(page, 'It was 500 USD.');
  await expect(row).toHaveAttribute('data-unread', '2');
  const axe = async (p: Page) => (await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa']).analyze()).violations.map((v) => v.id);
  expect(await axe(staff)).toEqual([]);

  // Opening the conversation reads it: the trader sees "Read" without reloading.
  await row.getByRole('link').click();
  await expect(staff.getByTestId('message')).toHaveCount(2);
  await expect(messages(page, 'It was 500 USD.')).toHaveAttribute('data-status', 'read');
  await expect(messages(page, 'It was 500 USD.').getByTestId('message-status')).toHaveText('Read');

  // Typing shows on the trader's side; the reply arrives live.
  await staff.getByTestId('reply-body').pressSequentially('Let me');
  await expect(page.getByTestId('typing')).toHaveText('Support is typing…');
  await staff.getByTestId('reply-body').fill('Could you send the bank statement?');
  await staff.getByTestId('reply-send').click();
  const reply = page.getByTestId('message').filter({ hasText: 'Could you send the bank statement?' });
  await expect(reply).toHaveAttribute('data-author', 'staff');
  await expect(page.getByTestId('typing')).toHaveText('');
  await expect(page.getByTestId('chat-agent')).toContainText('e2e-admin');
  // Replying claimed it: the agent's page says so without a reload.
  await expect(staff.getByTestId('chat-state')).toContainText('e2e-admin');
  await expect(staff.getByTestId('chat-claim')).toBeHidden();

  // The trader attaches a photo; the agent sees it arrive.
  await page.getByTestId('chat-file').setInputFiles(await jpeg(browser, { name: 'receipt.jpg' }));
  await expect(page.getByTestId('chat-attachment')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('chat-attachment')).toContainText('receipt.jpg');
  await page.getByLabel('Your message').fill('Here it is.');
  await page.getByTestId('chat-send').click();
  const fromTrader = staff.getByTestId('message').filter({ hasText: 'Here it is.' });
  await expect(fromTrader.locator('img')).toBeVisible();
  const img = await fromTrader.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth);
  expect(img).toBeGreaterThan(0);

  // The agent attaches a PDF; the trader sees it and can open it.
  await staff.getByTestId('reply-file').setInputFiles(pdf({ name: 'form.pdf' }));
  await staff.getByTestId('reply-body').fill('Please sign this form.');
  await staff.getByTestId('reply-send').click();
  const withPdf = page.getByTestId('message').filter({ hasText: 'Please sign this form.' });
  await expect(withPdf.getByTestId('message-attachment')).toHaveText('form.pdf');
  const href = await withPdf.getByTestId('message-attachment').getAttribute('href');
  const file = await page.request.get(href!);
  expect(file.status()).toBe(200);
  expect(file.headers()['content-type']).toBe('application/pdf');

  expect(await axe(staff)).toEqual([]);
  expect(await axe(page)).toEqual([]);

  // Markup in a message is shown as text.
  await write(page, '<b>not bold</b>');
  await expect(staff.getByTestId('message-body').filter({ hasText: '<b>not bold</b>' })).toBeVisible();
  await expect(staff.locator('#messages b')).toHaveCount(0);
});

test('a cut connection keeps unsent messages and sends each exactly once when it is back', async ({ page, context, browser, request }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await openChat(page, `/inapp/chat?token=${token}`);
  await write(page, 'before the tunnel');
  await expect(messages(page, 'before the tunnel')).toHaveAttribute('data-status', 'sent');

  await context.setOffline(true);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('chat-connection')).toContainText('Reconnecting');
  await write(page, 'in the tunnel 1');
  await write(page, 'in the tunnel 2');
  await expect(messages(page, 'in the tunnel 1')).toHaveAttribute('data-status', 'pending');
  await expect(messages(page, 'in the tunnel 2')).toHaveAttribute('data-status', 'pending');
  // A reload while offline would lose nothing either: the outbox is stored.
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('inapp-chat-outbox-')).map((k) => localStorage.getItem(k)).join(''));
  expect(stored).toContain('in the tunnel 2');

  await context.setOffline(false);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(messages(page, 'in the tunnel 1')).toHaveAttribute('data-status', 'sent');
  await expect(messages(page, 'in the tunnel 2')).toHaveAttribute('data-status', 'sent');

  // An answer lost on the way back: the server stored the message, the
  // browser saw a failure and sends it again; the server knows its id.
  let cut = false;
  await page.route('**/inapp/chat/messages', async (route) => {
    if (cut) return route.continue();
    cut = true;
    await route.fetch();
    await route.abort('connectionreset');
  });
  await write(page, 'answer lost');
  await expect(messages(page, 'answer lost')).toHaveAttribute('data-status', 'sent', { timeout: 20_000 });
  expect(cut).toBe(true);

  // In order and once each, for the trader and for the agent.
  const expected = ['before the tunnel', 'in the tunnel 1', 'in the tunnel 2', 'answer lost'];
  await expect(page.getByTestId('message-body')).toHaveText(expected);
  await page.reload();
  await expect(page.getByTestId('message-body')).toHaveText(expected);
  const staff = await staffSignIn(await browser.newContext());
  await openConversation(staff, '', login);
  await expect(staff.getByTestId('message-body')).toHaveText(expected);
});

test('the server restarts mid-conversation: the trader reconnects, resumes, and nothing is lost or doubled', async ({ browser }) => {
  test.setTimeout(120_000);
  const server = new OwnServer(3300 + test.info().workerIndex);
  await startAlone(server);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const minted = await (await fetch(`${server.base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    await openChat(page, `${server.base}/inapp/chat?token=${minted.token}`);
    await write(page, 'first, before the restart');
    await expect(messages(page, 'first, before the restart')).toHaveAttribute('data-status', 'sent');

    await server.kill();
    await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
    await write(page, 'written while the server was down');
    await expect(messages(page, 'written while the server was down')).toHaveAttribute('data-status', 'pending');

    // An agent replies right after the restart; the trader's stream resumes
    // from the last message it saw and gets the reply once.
    await server.start();
    const staff = await staffSignIn(await browser.newContext(), server.base);
    await openConversation(staff, server.base, minted.login);
    await staff.getByTestId('reply-body').fill('We are back. How can I help?');
    await staff.getByTestId('reply-send').click();

    await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 30_000 });
    await expect(messages(page, 'written while the server was down')).toHaveAttribute('data-status', /sent|delivered|read/, { timeout: 20_000 });
    // Which of the reply and the late message the server took first depends
    // on when the trader reconnected; each is there once, in the server's order.
    const texts = ['first, before the restart', 'We are back. How can I help?', 'written while the server was down'];
    for (const p of [page, staff]) {
      if (p === staff) await staff.reload();
      await expect(p.getByTestId('message')).toHaveCount(3);
      for (const text of texts) await expect(p.getByTestId('message-body').getByText(text, { exact: true })).toHaveCount(1);
    }
    const seqs = await page.getByTestId('message').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(seqs).toEqual([1, 2, 3]);
    const staffOrder = await staff.getByTestId('message-body').allTextContents();
    expect(await page.getByTestId('message-body').allTextContents()).toEqual(staffOrder);
  } finally {
    // The server first: nothing may outlive the test, even if it ran out of time.
    await server.stop();
    await context.close();
  }
});

test('the chat is usable by keyboard and answers a too-long message in the trader\'s language', async ({ page, request }) => {
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await openChat(page, `/inapp/chat?token=${token}&lang=de`);
  await page.getByTestId('chat-input').focus();
  await page.keyboard.type('Hallo');
  await page.keyboard.press('Control+Enter');
  await expect(messages(page, 'Hallo')).toHaveAttribute('data-status', 'sent');
  await page.getByTestId('chat-input').fill('x'.repeat(2001));
  await page.getByTestId('chat-send').click();
  // locales/de.json `chat.error.too_long`, with the configured maximum.
  await expect(page.getByTestId('chat-problem')).toHaveText('Die Nachricht ist zu lang: höchstens 2000 Zeichen.');
  await expect(page.getByTestId('message')).toHaveCount(1);
});

test('with the keyboard open on a phone, nothing moves the composer: messages, their states, the connection notice', async ({ page, context, request }) => {
  // A phone's viewport once its on-screen keyboard takes the lower half.
  await page.setViewportSize({ width: 412, height: 420 });
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await openChat(page, `/inapp/chat?token=${token}`);
  const input = page.getByTestId('chat-input');
  await input.focus();
  await expect(input).toBeInViewport();
  const top = () => input.evaluate((el) => Math.round(el.getBoundingClientRect().top + window.scrollY));
  const before = await top();
  for (let i = 1; i <= 6; i++) {
    await write(page, `line ${i} of a conversation long enough to scroll`);
    await expect(messages(page, `line ${i} of a conversation long enough to scroll`)).toHaveAttribute('data-status', 'sent');
    expect(await top()).toBe(before);
  }
  await context.setOffline(true);
  // The notice (over the list) has appeared: the page knows it is offline.
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('chat-connection')).toContainText('Reconnecting');
  expect(await top()).toBe(before);
  await write(page, 'offline line');
  await expect(messages(page, 'offline line')).toHaveAttribute('data-status', 'pending');
  expect(await top()).toBe(before);
  // The newest message is in view inside the conversation.
  await expect(messages(page, 'offline line')).toBeInViewport();
  await context.setOffline(false);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  expect(await top()).toBe(before);
});

/** Every message POST that leaves this page (across reloads), with its client id. */
function watchSends(page: Page) {
  const sends: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/inapp/chat/messages') sends.push(r.postDataJSON().clientId);
  });
  return sends;
}

function outbox(page: Page) {
  return page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('inapp-chat-outbox-')).map((k) => localStorage.getItem(k)).join(''));
}

test('a message written offline survives a reload before it could leave, and is sent once when the network is back', async ({ page, context, browser, request }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await openChat(page, `/inapp/chat?token=${token}`);
  await write(page, 'before the outage');
  await expect(messages(page, 'before the outage')).toHaveAttribute('data-status', 'sent');
  const sends = watchSends(page);

  await context.setOffline(true);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
  await write(page, 'written offline, then reloaded');
  await expect(messages(page, 'written offline, then reloaded')).toHaveAttribute('data-status', 'pending');

  // The page is reloaded before the message could leave: the network is back
  // for the page itself, but every send is still cut before it reaches the
  // server, so nothing but the browser's own storage can bring it back.
  let refused = 0;
  await page.route('**/inapp/chat/messages', (route) => {
    refused += 1;
    return route.abort('internetdisconnected');
  });
  await context.setOffline(false);
  await page.reload();
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  const waiting = messages(page, 'written offline, then reloaded');
  await expect(waiting).toHaveAttribute('data-status', 'pending');
  await expect(waiting.getByTestId('message-status')).toHaveText('Waiting to send');
  // It tried after the reload and failed, and the message is still waiting.
  await expect.poll(() => refused, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(waiting).toHaveAttribute('data-status', 'pending');
  await expect(page.getByTestId('message-body')).toHaveText(['before the outage', 'written offline, then reloaded']);

  // The network is back for sends too: it goes by itself, once.
  await page.unroute('**/inapp/chat/messages');
  await expect(messages(page, 'written offline, then reloaded')).toHaveAttribute('data-status', /sent|delivered|read/, { timeout: 20_000 });
  await expect(page.getByTestId('message-body')).toHaveText(['before the outage', 'written offline, then reloaded']);
  // Every try, before and after the reload, carried the same id: the server
  // can only ever store it once.
  expect(sends.length).toBeGreaterThan(1);
  expect(new Set(sends).size).toBe(1);
  await expect.poll(() => outbox(page)).toBe('');

  // Stored once: after another reload, and on the agent's side.
  await page.reload();
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online');
  await expect(page.getByTestId('message-body')).toHaveText(['before the outage', 'written offline, then reloaded']);
  await expect(page.locator('[data-testid="message"][data-status="pending"]')).toHaveCount(0);
  const staff = await staffSignIn(await browser.newContext());
  await openConversation(staff, '', login);
  await expect(staff.getByTestId('message-body')).toHaveText(['before the outage', 'written offline, then reloaded']);
});

test('two tabs offline each keep their message; the one closed before the network came back is sent from the other, each once', async ({ page, context, browser, request }) => {
  test.setTimeout(90_000);
  const login = freshLogin();
  const { token } = await mint(request, { login });
  await openChat(page, `/inapp/chat?token=${token}`);
  const second = await context.newPage();
  await openChat(second, '/inapp/chat');

  await context.setOffline(true);
  await expect(page.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
  await expect(second.getByTestId('chat-connection')).toHaveAttribute('data-state', 'offline');
  await write(page, 'from the first tab');
  await expect(messages(page, 'from the first tab')).toHaveAttribute('data-status', 'pending');
  await write(second, 'from the second tab');
  await expect(messages(second, 'from the second tab')).toHaveAttribute('data-status', 'pending');

  // The trader closes the first tab before the network is back: its message
  // now lives only in the outbox the tabs share.
  await page.close();
  await context.setOffline(false);
  await expect(second.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(messages(second, 'from the second tab')).toHaveAttribute('data-status', /sent|delivered|read/);

  // Reopened, the second tab finds the first tab's message and sends it.
  await second.reload();
  await expect(second.getByTestId('chat-connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(messages(second, 'from the first tab')).toHaveAttribute('data-status', /sent|delivered|read/, { timeout: 20_000 });
  await expect.poll(() => outbox(second)).toBe('');
  await second.reload();
  await expect(second.getByTestId('message')).toHaveCount(2);
  for (const text of ['from the first tab', 'from the second tab']) await expect(messages(second, text)).toHaveCount(1);
  await expect(second.locator('[data-testid="message"][data-status="pending"]')).toHaveCount(0);

  const staff = await staffSignIn(await browser.newContext());
  await openConversation(staff, '', login);
  await expect(staff.getByTestId('message')).toHaveCount(2);
  for (const text of ['from the first tab', 'from the second tab']) {
    await expect(staff.getByTestId('message-body').getByText(text, { exact: true })).toHaveCount(1);
  }
});

test('a rate-limited message waits, says so, and is sent by itself once the wait is over', async ({ browser }) => {
  test.setTimeout(90_000);
  // Two messages per five seconds, so the third is refused with 429.
  const server = new OwnServer(3500 + test.info().workerIndex, {
    INAPP_CHAT__RATE_LIMIT_MESSAGES: '2',
    INAPP_CHAT__RATE_WINDOW_SECONDS: '5',
  });
  await startAlone(server);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const minted = await (await fetch(`${server.base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    await openChat(page, `${server.base}/inapp/chat?token=${minted.token}`);
    const limited: string[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/inapp/chat/messages' && r.status() === 429) limited.push(r.headers()['retry-after']);
    });
    await write(page, 'one');
    await expect(messages(page, 'one')).toHaveAttribute('data-status', 'sent');
    await write(page, 'two');
    await expect(messages(page, 'two')).toHaveAttribute('data-status', 'sent');
    await write(page, 'three');
    await expect(page.getByTestId('chat-problem')).toHaveText('You are sending messages too quickly. They will be sent in 5 seconds.');
    await expect(messages(page, 'three')).toHaveAttribute('data-status', 'pending');
    await expect(messages(page, 'three').getByTestId('message-status')).toHaveText('Waiting to send');
    await expect.poll(() => limited).toEqual(['5']);

    // Nothing more from the trader: the screen sends it when the wait is over.
    await expect(messages(page, 'three')).toHaveAttribute('data-status', 'sent', { timeout: 30_000 });
    await expect(page.getByTestId('chat-problem')).toHaveText('');
    await page.reload();
    await expect(page.getByTestId('message-body')).toHaveText(['one', 'two', 'three']);
    await expect(page.locator('[data-testid="message"][data-status="pending"]')).toHaveCount(0);
  } finally {
    // The server first: nothing may outlive the test, even if it ran out of time.
    await server.stop();
    await context.close();
  }
});
