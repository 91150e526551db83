/** The phone page's markup and style. Data never goes into this HTML: the script fills it with textContent. */
export const PHONE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WhatsApp simulator · customer phone</title>
<link rel="stylesheet" href="/phone.css">
</head>
<body>
<aside id="side">
  <header><strong>Customers</strong><small>{{BUSINESS}}</small></header>
  <form id="new-customer">
    <input id="new-waid" placeholder="wa_id (digits)" pattern="[0-9]{5,15}" required>
    <input id="new-name" placeholder="profile name">
    <button type="submit">Add</button>
  </form>
  <ul id="customers"></ul>
</aside>
<main id="chat">
  <header id="chat-head"><span id="chat-title">Pick or add a customer</span><span id="window"></span>
    <button id="read-all" type="button" title="Read the business's messages">Read all</button></header>
  <ol id="thread"></ol>
  <div id="replying" hidden><span id="replying-text"></span><button id="cancel-reply" type="button">×</button></div>
  <form id="composer">
    <button id="send-image" type="button" title="Send an image">📷</button>
    <input id="image-file" type="file" accept="image/png,image/jpeg" hidden>
    <button id="send-location" type="button" title="Send a location">📍</button>
    <input id="text" placeholder="Type a message" autocomplete="off">
    <button type="submit">Send</button>
  </form>
  <p id="error" role="alert"></p>
</main>
<script src="/phone.js"></script>
</body>
</html>
`;

export const PHONE_CSS = `
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; display: flex; height: 100vh; font: 14px system-ui, sans-serif; background: #e5ddd5; }
#side { width: 260px; background: #fff; border-right: 1px solid #ddd; display: flex; flex-direction: column; }
#side header, #chat-head { padding: 12px; background: #075e54; color: #fff; display: flex; gap: 8px; align-items: center; justify-content: space-between; }
#side header { flex-direction: column; align-items: flex-start; }
#side small { opacity: .8; }
#new-customer { display: flex; flex-wrap: wrap; gap: 4px; padding: 8px; }
#new-customer input { flex: 1 1 100px; min-width: 0; }
#customers { list-style: none; margin: 0; padding: 0; overflow-y: auto; }
#customers li { padding: 10px 12px; border-bottom: 1px solid #eee; cursor: pointer; }
#customers li.active { background: #dcf8c6; }
#customers .sub { display: block; color: #777; font-size: 12px; }
#chat { flex: 1; display: flex; flex-direction: column; min-width: 0; }
#window { font-size: 12px; opacity: .85; }
#thread { flex: 1; overflow-y: auto; list-style: none; margin: 0; padding: 12px; display: flex; flex-direction: column; gap: 6px; }
.bubble { max-width: 70%; padding: 6px 9px; border-radius: 8px; background: #fff; white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px 1px rgba(0,0,0,.1); }
.bubble.inbound { align-self: flex-end; background: #dcf8c6; }
.bubble.outbound { align-self: flex-start; }
.bubble .meta { display: block; text-align: right; font-size: 11px; color: #777; margin-top: 2px; }
.bubble .ticks.read { color: #34b7f1; }
.bubble .ticks.failed { color: #c00; }
.bubble .quote { display: block; font-size: 12px; color: #555; border-left: 3px solid #25d366; padding-left: 6px; margin-bottom: 4px; }
.bubble img { display: block; max-width: 220px; max-height: 220px; margin-bottom: 4px; }
.bubble .options { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
.bubble .options button, .bubble .options a { border: 0; background: #f0f0f0; color: #027eb5; padding: 6px; border-radius: 6px; cursor: pointer; text-align: center; text-decoration: none; }
.bubble .options .desc { display: block; color: #777; font-size: 11px; }
.bubble .tools { display: flex; gap: 4px; margin-top: 4px; }
.bubble .tools button { border: 0; background: none; cursor: pointer; font-size: 13px; padding: 0 2px; }
#composer { display: flex; gap: 6px; padding: 8px; background: #f0f0f0; }
#composer #text { flex: 1; padding: 8px; border-radius: 18px; border: 1px solid #ccc; }
#replying { padding: 6px 12px; background: #f7f7f7; border-top: 1px solid #ddd; display: flex; justify-content: space-between; }
#error { margin: 0; padding: 0 12px 6px; color: #c00; min-height: 1em; background: #f0f0f0; }
`;
