/**
 * The phone page's script. Every piece of customer or business text goes in with textContent (or
 * a property such as href after a scheme check); the page never builds HTML from data.
 */
export const PHONE_JS = String.raw`
'use strict';
(function () {
  var API = '/_simulator';
  var state = { waId: null, replyTo: null, items: [] };
  var EMOJIS = ['👍', '❤️', '😂', '😮', '🙏', ''];
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function showError(message) { $('error').textContent = message || ''; }
  function api(method, path, body) {
    var init = { method: method, headers: {} };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(API + path, init).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error((data && data.error && data.error.message) || res.statusText);
        return data;
      });
    });
  }
  function act(body) {
    if (!state.waId) return Promise.resolve();
    if (state.replyTo && body.type !== 'reaction' && body.type !== 'interactive_reply' && body.type !== 'button') {
      body.replyTo = state.replyTo;
    }
    showError('');
    return api('POST', '/customers/' + encodeURIComponent(state.waId) + '/messages', body)
      .then(function () { setReply(null); return loadThread(); })
      .catch(function (e) { showError(e.message); });
  }
  function setReply(item) {
    state.replyTo = item ? item.wamid : null;
    $('replying').hidden = !item;
    $('replying-text').textContent = item ? 'Replying to: ' + item.text.slice(0, 80) : '';
  }

  function loadCustomers() {
    return api('GET', '/customers').then(function (list) {
      var ul = $('customers');
      ul.replaceChildren();
      list.forEach(function (c) {
        var li = el('li', c.waId === state.waId ? 'active' : '', c.profileName);
        li.appendChild(el('span', 'sub', '+' + c.waId + (c.windowOpen ? ' · window open' : '')));
        li.addEventListener('click', function () { select(c.waId); });
        ul.appendChild(li);
      });
    });
  }
  function select(waId) {
    state.waId = waId;
    setReply(null);
    loadCustomers();
    loadThread();
  }
  function ticks(item) {
    if (item.direction === 'inbound') return item.status === 'read' ? '✓✓' : '✓';
    return { accepted: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' }[item.status] || '';
  }
  function mediaNode(item) {
    if (!item.mediaId || (item.type !== 'image' && item.type !== 'sticker')) return null;
    var img = el('img');
    img.alt = item.type;
    img.src = API + '/media/' + encodeURIComponent(item.mediaId);
    return img;
  }
  function optionsNode(item) {
    if (!item.options.length) return null;
    var box = el('div', 'options');
    var rows = item.options.filter(function (o) { return o.kind === 'row'; });
    var list = null;
    if (rows.length) {
      var toggle = el('button', '', '☰ ' + (item.listButton || 'Options'));
      toggle.type = 'button';
      list = el('div', 'options');
      list.hidden = true;
      toggle.addEventListener('click', function () { list.hidden = !list.hidden; });
      box.appendChild(toggle);
      box.appendChild(list);
    }
    item.options.forEach(function (o) {
      if (o.kind === 'url') {
        var a = el('a', '', '🔗 ' + o.title);
        if (/^https?:\/\//i.test(o.id)) { a.href = o.id; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
        box.appendChild(a);
        return;
      }
      var b = el('button', '', o.title);
      b.type = 'button';
      if (o.description) b.appendChild(el('span', 'desc', o.description));
      b.addEventListener('click', function () {
        if (o.kind === 'template_button') act({ type: 'button', messageId: item.wamid, index: Number(o.id) });
        else act({ type: 'interactive_reply', messageId: item.wamid, optionId: o.id });
      });
      (o.kind === 'row' && list ? list : box).appendChild(b);
    });
    return box;
  }
  function toolsNode(item) {
    var tools = el('div', 'tools');
    var reply = el('button', '', '↩');
    reply.type = 'button';
    reply.title = 'Reply';
    reply.addEventListener('click', function () { setReply(item); $('text').focus(); });
    tools.appendChild(reply);
    if (item.direction === 'outbound') {
      EMOJIS.forEach(function (emoji) {
        var b = el('button', '', emoji || '✕');
        b.type = 'button';
        b.title = emoji ? 'React ' + emoji : 'Remove reaction';
        b.addEventListener('click', function () { act({ type: 'reaction', messageId: item.wamid, emoji: emoji }); });
        tools.appendChild(b);
      });
    }
    return tools;
  }
  function render(data) {
    var byId = {};
    data.items.forEach(function (i) { byId[i.wamid] = i; });
    $('chat-title').textContent = (data.profileName || '') + ' +' + data.waId;
    $('window').textContent = data.windowOpen ? 'service window open' : 'service window closed';
    var ol = $('thread');
    var atBottom = ol.scrollTop + ol.clientHeight >= ol.scrollHeight - 20;
    ol.replaceChildren();
    data.items.forEach(function (item) {
      var li = el('li', 'bubble ' + item.direction);
      if (item.replyTo && byId[item.replyTo]) li.appendChild(el('span', 'quote', byId[item.replyTo].text.slice(0, 80)));
      var media = mediaNode(item);
      if (media) li.appendChild(media);
      li.appendChild(el('span', 'text', item.text));
      var options = optionsNode(item);
      if (options) li.appendChild(options);
      var meta = el('span', 'meta', new Date(item.at).toLocaleTimeString() + ' ');
      meta.appendChild(el('span', 'ticks ' + item.status, ticks(item)));
      if (item.error) meta.appendChild(el('span', '', ' ' + item.error));
      li.appendChild(meta);
      li.appendChild(toolsNode(item));
      ol.appendChild(li);
    });
    if (atBottom) ol.scrollTop = ol.scrollHeight;
  }
  function loadThread() {
    if (!state.waId) return Promise.resolve();
    return api('GET', '/customers/' + encodeURIComponent(state.waId) + '/thread').then(render).catch(function (e) { showError(e.message); });
  }

  $('new-customer').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var waId = $('new-waid').value.trim();
    var name = $('new-name').value.trim();
    api('POST', '/customers', name ? { waId: waId, profileName: name } : { waId: waId })
      .then(function () { $('new-waid').value = ''; $('new-name').value = ''; select(waId); })
      .catch(function (e) { showError(e.message); });
  });
  $('composer').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('text').value;
    if (!text.trim()) return;
    $('text').value = '';
    act({ type: 'text', text: text });
  });
  $('send-location').addEventListener('click', function () {
    act({ type: 'location', latitude: 52.3676, longitude: 4.9041, name: 'Dam Square', address: 'Amsterdam' });
  });
  $('send-image').addEventListener('click', function () { $('image-file').click(); });
  $('image-file').addEventListener('change', function () {
    var file = this.files && this.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).split(',')[1] || '';
      act({ type: 'image', mimeType: file.type || 'image/jpeg', dataBase64: data });
    };
    reader.readAsDataURL(file);
    this.value = '';
  });
  $('cancel-reply').addEventListener('click', function () { setReply(null); });
  $('read-all').addEventListener('click', function () {
    if (state.waId) api('POST', '/customers/' + encodeURIComponent(state.waId) + '/read', {}).then(loadThread);
  });

  // live updates: server-sent events, with polling as the fallback
  var poll = null;
  function startPolling() { if (!poll) poll = setInterval(function () { loadThread(); loadCustomers(); }, 2000); }
  if (window.EventSource) {
    var es = new EventSource(API + '/events');
    es.addEventListener('change', function (ev) {
      var data = JSON.parse(ev.data);
      if (data.waId === state.waId) loadThread();
      loadCustomers();
    });
    es.onerror = startPolling;
  } else {
    startPolling();
  }
  // deep link: /phone?waId=15551234567 opens that customer's thread
  var wanted = new URLSearchParams(window.location.search).get('waId');
  if (wanted && /^[0-9]{5,15}$/.test(wanted)) select(wanted); else loadCustomers();
})();
`;
