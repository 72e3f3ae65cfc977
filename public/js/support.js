// The live parts of the back-office support pages (server-rendered, working
// as plain forms without this script): the inbox refreshes its list and
// unread counts on every change; a conversation receives messages, receipts
// and typing over server-sent events, and sends replies and attachments
// without a reload. Text is only ever inserted as text, never as HTML.
(function () {
  'use strict';

  var inbox = document.getElementById('inbox');
  if (inbox) {
    var pending = null;
    var refresh = function () {
      var tab = inbox.getAttribute('data-tab') || 'unassigned';
      fetch('/backoffice/chat?fragment=1&tab=' + encodeURIComponent(tab), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        // The fragment is our own server-rendered, escaped HTML.
        .then(function (html) { if (html !== null) inbox.innerHTML = html; })
        .catch(function () {});
    };
    var events = new EventSource('/backoffice/chat/events');
    // At most one refresh per 300 ms however busy the inbox is.
    events.addEventListener('inbox', function () {
      if (pending) return;
      pending = setTimeout(function () { pending = null; refresh(); }, 300);
    });
    // After a dropped connection, changes may have been missed.
    events.addEventListener('open', refresh);
    // The sign-in ended: reloading shows the sign-in page.
    events.addEventListener('ended', function () { events.close(); location.reload(); });
    return;
  }

  var root = document.getElementById('conversation');
  if (!root) return;
  var id = root.getAttribute('data-id');
  var list = document.getElementById('messages');
  var typingLine = document.getElementById('typing');
  var form = document.getElementById('reply');
  var body = document.getElementById('reply-body');
  var file = document.getElementById('reply-file');
  var problem = document.getElementById('reply-error');
  var receipts = { delivered: 0, read: 0 };
  var lastTyping = 0;
  // One id per reply until the server has it, so a retry is not a second message.
  var draftId = null;

  var lastSeq = function () {
    var items = list.querySelectorAll('li[data-seq]');
    return items.length ? Number(items[items.length - 1].getAttribute('data-seq')) : 0;
  };
  var statusOf = function (seq) {
    if (seq <= receipts.read) return 'read';
    if (seq <= receipts.delivered) return 'delivered';
    return 'sent';
  };
  var paintStatus = function (li) {
    if (li.getAttribute('data-author') !== 'staff') return;
    var s = statusOf(Number(li.getAttribute('data-seq')));
    li.setAttribute('data-status', s);
    var p = li.querySelector('[data-testid="message-status"]');
    if (p) p.textContent = root.getAttribute('data-status-' + s);
  };
  var el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var add = function (m) {
    if (list.querySelector('li[data-seq="' + m.seq + '"]')) return;
    var staff = m.author === 'staff';
    var li = el('li', staff ? 'ms-8 rounded-lg bg-bg p-2' : 'me-8 rounded-lg border border-border p-2');
    li.setAttribute('data-seq', m.seq);
    li.setAttribute('data-author', m.author);
    li.setAttribute('data-client-id', m.clientId);
    li.setAttribute('data-testid', 'message');
    var who = staff ? (m.authorName || root.getAttribute('data-you')) : root.getAttribute('data-trader');
    // The same form as the server-rendered messages: 2026-11-23 10:49 UTC.
    var when = new Date(m.atMs).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    li.appendChild(el('p', 'text-xs text-muted', who + ' · ' + when));
    var text = el('p', 'whitespace-pre-wrap break-words', m.body);
    text.setAttribute('data-testid', 'message-body');
    li.appendChild(text);
    if (m.attachment) {
      var href = '/backoffice/chat/attachments/' + encodeURIComponent(m.attachment.id);
      var a = el('a', 'underline');
      a.href = href;
      a.setAttribute('data-testid', 'message-attachment');
      if (m.attachment.kind === 'pdf') {
        a.textContent = m.attachment.fileName;
      } else {
        var img = el('img', 'mt-1 max-h-48 rounded');
        img.src = href;
        img.alt = m.attachment.fileName;
        a.appendChild(img);
      }
      li.appendChild(a);
    }
    if (staff) {
      var st = el('p', 'text-xs text-muted');
      st.setAttribute('data-testid', 'message-status');
      li.appendChild(st);
      paintStatus(li);
    }
    // In seq order, whichever of the stream and a reply's answer came first.
    var after = null;
    list.querySelectorAll('li[data-seq]').forEach(function (other) {
      if (!after && Number(other.getAttribute('data-seq')) > m.seq) after = other;
    });
    list.insertBefore(li, after);
    list.scrollTop = list.scrollHeight;
  };
  var post = function (path, payload) {
    return fetch('/backoffice/chat/' + id + '/' + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload || {})
    });
  };
  // Delivered as soon as it is on this page; read while the page is visible.
  var acknowledge = function () {
    var seq = lastSeq();
    if (seq === 0) return;
    var update = { delivered: seq };
    if (document.visibilityState === 'visible') update.read = seq;
    post('receipts', update).catch(function () {});
  };
  var markRead = acknowledge;

  var connect = function () {
    var events = new EventSource('/backoffice/chat/' + id + '/events?after=' + lastSeq());
    events.addEventListener('message', function (e) {
      var m = JSON.parse(e.data);
      add(m);
      if (m.author === 'trader') {
        typingLine.textContent = '';
        markRead();
      }
    });
    events.addEventListener('receipts', function (e) {
      receipts = JSON.parse(e.data);
      list.querySelectorAll('li[data-author="staff"]').forEach(paintStatus);
    });
    events.addEventListener('typing', function (e) {
      var on = JSON.parse(e.data).typing;
      typingLine.textContent = on ? typingLine.getAttribute('data-text') : '';
    });
    // Claimed (perhaps by replying), closed or reopened: say so, and offer
    // Claim only while someone else holds it.
    events.addEventListener('conversation', function (e) {
      var c = JSON.parse(e.data);
      var state = document.querySelector('[data-testid="chat-state"]');
      state.textContent = root.getAttribute(c.closed ? 'data-label-closed' : 'data-label-open') + (c.agent ? ' · ' + c.agent : '');
      state.setAttribute('data-closed', String(c.closed));
      var claim = document.querySelector('[data-testid="chat-claim"]');
      if (claim) claim.hidden = c.agent === root.getAttribute('data-me');
    });
    // EventSource reconnects by itself and sends Last-Event-ID (the last seq),
    // except after an HTTP error (a sign-in that expired): say so.
    events.addEventListener('error', function () {
      if (events.readyState === EventSource.CLOSED) problem.textContent = root.getAttribute('data-disconnected');
    });
    events.addEventListener('ended', function () {
      events.close();
      problem.textContent = root.getAttribute('data-disconnected');
    });
  };
  connect();
  document.addEventListener('visibilitychange', markRead);

  body.addEventListener('input', function () {
    var now = Date.now();
    if (now - lastTyping > 2500) {
      lastTyping = now;
      post('typing').catch(function () {});
    }
  });

  var uuid = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'r' + Math.random().toString(16).slice(2) + Date.now().toString(16);
  };
  var fail = function (text) {
    problem.textContent = text || root.getAttribute('data-error');
  };
  var send = function (clientId, text, attachmentId) {
    return post('messages', { clientId: clientId, body: text, attachmentId: attachmentId || null }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || 'refused');
        add(j);
      });
    });
  };
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    problem.textContent = '';
    var text = body.value;
    if (!draftId) draftId = uuid();
    var clientId = draftId;
    var chosen = file.files && file.files[0];
    var upload = Promise.resolve(null);
    if (chosen) {
      var data = new FormData();
      data.append('file', chosen, chosen.name);
      upload = fetch('/backoffice/chat/' + id + '/attachments', { method: 'POST', credentials: 'same-origin', body: data })
        .then(function (r) {
          return r.json().then(function (j) {
            if (r.status !== 201) throw new Error(j.error || 'upload refused');
            return j.id;
          });
        });
    }
    upload
      .then(function (attachmentId) { return send(clientId, text, attachmentId); })
      .then(function () {
        draftId = null;
        body.value = '';
        file.value = '';
      })
      .catch(function (err) { fail(err && err.message); });
  });
  markRead();
})();
