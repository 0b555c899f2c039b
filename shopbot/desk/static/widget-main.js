/* 店铺客服聊天挂件(买家端)自己的部分:连接、发件箱、气泡与对话框。
 *
 * 用法:<script src="/widget.js" data-buyer='{"account":..,"ts":..,"sig":..}'></script>
 * 本文件不单独使用:客服台把 chat-render.js(ShopbotChat:读帧、显示消息正文)和本文件
 * 拼成一个 /widget.js 发出(shopbot/desk/widget_bundle.py)。
 * 安全:买家、机器人、客服写的任何文字都只经 textContent / createTextNode 插入页面,
 * 从不拼接 HTML;图片地址经 ShopbotChat.safeImageUrl 过滤,并以属性方式赋值。
 */
(function () {
  "use strict";
  if (window.__shopbotWidgetLoaded) return;
  window.__shopbotWidgetLoaded = true;

  var script = document.currentScript;

  // -- 配置:买家身份与服务器地址 -------------------------------------------------
  var buyer = {};
  try {
    var raw = script && script.getAttribute("data-buyer");
    var parsed = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) buyer = parsed;
  } catch (e) {
    buyer = {};
  }

  var origin = window.location;
  try {
    if (script && script.src) origin = new URL(script.src, window.location.href);
  } catch (e) { /* 退回当前页面地址 */ }
  var WS_URL = (origin.protocol === "https:" ? "wss://" : "ws://") + origin.host + "/ws/buyer";

  // -- 本地存储(按账号分开;无痕模式下退回内存) ----------------------------------
  var memory = {};
  var storage = {
    get: function (k) {
      try { var v = window.localStorage.getItem(k); return v === null ? null : v; }
      catch (e) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; }
    },
    set: function (k, v) {
      try { window.localStorage.setItem(k, v); } catch (e) { memory[k] = v; }
    },
    remove: function (k) {
      try { window.localStorage.removeItem(k); } catch (e) { delete memory[k]; }
    }
  };
  var who = typeof buyer.account === "string" && buyer.account ? buyer.account : "anonymous";
  var KEY_CONV = "shopbot:" + who + ":conversation_id";
  var KEY_AFTER = "shopbot:" + who + ":after";
  var KEY_OUTBOX = "shopbot:" + who + ":outbox";

  function loadOutbox() {
    try {
      var list = JSON.parse(storage.get(KEY_OUTBOX) || "[]");
      return Array.isArray(list) ? list.filter(function (m) {
        return m && typeof m.client_id === "string" && typeof m.text === "string";
      }) : [];
    } catch (e) { return []; }
  }
  function saveOutbox() { storage.set(KEY_OUTBOX, JSON.stringify(outbox)); }
  function removeFromOutbox(clientId) {
    var before = outbox.length;
    outbox = outbox.filter(function (m) { return m.client_id !== clientId; });
    if (outbox.length !== before) saveOutbox();
  }

  function newClientId() {
    try {
      if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    } catch (e) { /* 非安全上下文 */ }
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // -- 状态 ---------------------------------------------------------------------------
  var conversationId = storage.get(KEY_CONV);
  var outbox = loadOutbox();
  var renderedIds = {};      // 已显示的消息 id
  var maxId = 0;             // 本页已显示的最大 id(同页重连时作为 after)
  var ws = null;
  var connected = false;
  var connecting = false;
  var everWelcomed = false;  // 本页是否已握手成功过(决定 after 取 0 还是 maxId)
  var retryDelay = 1000;
  var retryTimer = null;
  var typingTimer = null;
  var isOpen = false;
  var unread = 0;
  var chatState = "bot";

  var STATE_TEXT = {
    bot: "智能助手为您服务",
    waiting: "正在为您转接人工客服…",
    agent: "人工客服为您服务中",
    closed: "本次会话已结束"
  };

  // -- 样式 ---------------------------------------------------------------------------
  var css = [
    "#shopbot-bubble,#shopbot-chat,#shopbot-chat *{box-sizing:border-box;}",
    "#shopbot-bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:6px;",
    "padding:0 18px;height:48px;border:0;border-radius:24px;background:#ff0036;color:#fff;cursor:pointer;",
    "font:15px/1 \"PingFang SC\",\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;box-shadow:0 4px 14px rgba(255,0,54,.35);}",
    "#shopbot-bubble:hover{background:#e6002f;}",
    "#shopbot-bubble .sb-icon{width:20px;height:16px;border:2px solid #fff;border-radius:8px;position:relative;}",
    "#shopbot-bubble .sb-icon:after{content:\"\";position:absolute;left:3px;bottom:-6px;border:4px solid transparent;border-top-color:#fff;}",
    "#shopbot-bubble .sb-badge{min-width:18px;height:18px;border-radius:9px;background:#fff;color:#ff0036;font-size:12px;",
    "line-height:18px;text-align:center;padding:0 5px;font-weight:700;}",
    "#shopbot-bubble .sb-badge[hidden]{display:none;}",
    "#shopbot-chat{position:fixed;right:20px;bottom:80px;z-index:2147483001;width:380px;height:600px;max-height:calc(100vh - 100px);",
    "display:flex;flex-direction:column;background:#f5f5f5;border-radius:10px;overflow:hidden;",
    "box-shadow:0 8px 30px rgba(0,0,0,.2);color:#333;",
    "font:14px/1.5 \"PingFang SC\",\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;}",
    "#shopbot-chat[hidden]{display:none;}",
    "#shopbot-chat .sb-head{display:flex;align-items:center;gap:10px;padding:10px 12px;background:#ff0036;color:#fff;flex:none;}",
    "#shopbot-chat .sb-avatar{width:34px;height:34px;border-radius:50%;background:#fff;color:#ff0036;display:flex;",
    "align-items:center;justify-content:center;font-weight:700;font-size:15px;flex:none;}",
    "#shopbot-chat .sb-title{flex:1;min-width:0;}",
    "#shopbot-chat .sb-shop{font-size:15px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;}",
    "#shopbot-chat .sb-state{font-size:12px;opacity:.9;}",
    "#shopbot-chat .sb-close{border:0;background:transparent;color:#fff;font-size:24px;line-height:1;cursor:pointer;padding:4px 6px;}",
    "#shopbot-chat .sb-banner{background:#fff7e6;color:#ad6800;font-size:12px;text-align:center;padding:4px;flex:none;}",
    "#shopbot-chat .sb-banner[hidden]{display:none;}",
    "#shopbot-messages{flex:1;overflow-y:auto;padding:12px 10px;-webkit-overflow-scrolling:touch;}",
    "#shopbot-messages .msg{display:flex;flex-direction:column;margin:8px 0;max-width:100%;}",
    "#shopbot-messages .msg-buyer{align-items:flex-end;}",
    "#shopbot-messages .msg-bot,#shopbot-messages .msg-agent{align-items:flex-start;}",
    "#shopbot-messages .msg-system{align-items:center;}",
    "#shopbot-messages .sb-who{font-size:12px;color:#999;margin:0 4px 2px;}",
    "#shopbot-messages .msg-agent .sb-who{color:#ff0036;}",
    "#shopbot-messages .sb-text{max-width:80%;padding:8px 12px;border-radius:10px;white-space:pre-wrap;",
    "word-break:break-word;overflow-wrap:anywhere;background:#fff;}",
    "#shopbot-messages .msg-buyer .sb-text{background:#ff0036;color:#fff;border-top-right-radius:2px;}",
    "#shopbot-messages .msg-bot .sb-text{border-top-left-radius:2px;}",
    "#shopbot-messages .msg-agent .sb-text{border-top-left-radius:2px;border:1px solid #ffccd6;}",
    "#shopbot-messages .msg-system .sb-text{max-width:90%;background:transparent;color:#999;font-size:12px;padding:2px 8px;text-align:center;}",
    "#shopbot-messages .msg.pending .sb-text{opacity:.65;}",
    "#shopbot-messages .sb-status{font-size:11px;color:#aaa;margin:2px 4px 0;}",
    "#shopbot-messages .sb-img{display:block;max-width:70%;max-height:220px;margin-top:4px;border-radius:8px;background:#fff;}",
    "#shopbot-messages .sb-chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;max-width:90%;}",
    "#shopbot-messages .sb-chip{border:1px solid #ff0036;color:#ff0036;background:#fff;border-radius:14px;padding:4px 12px;",
    "font:inherit;font-size:13px;cursor:pointer;}",
    "#shopbot-messages .sb-chip:hover{background:#fff0f3;}",
    "#shopbot-typing{flex:none;padding:2px 14px 6px;color:#999;font-size:12px;}",
    "#shopbot-typing[hidden]{display:none;}",
    "#shopbot-typing .sb-dot{display:inline-block;width:4px;height:4px;margin-left:3px;border-radius:50%;background:#999;",
    "animation:shopbot-blink 1.2s infinite both;vertical-align:middle;}",
    "#shopbot-typing .sb-dot:nth-child(2){animation-delay:.2s;}",
    "#shopbot-typing .sb-dot:nth-child(3){animation-delay:.4s;}",
    "@keyframes shopbot-blink{0%,80%,100%{opacity:.2;}40%{opacity:1;}}",
    "#shopbot-chat .sb-foot{display:flex;gap:8px;padding:10px;background:#fff;border-top:1px solid #eee;flex:none;}",
    "#shopbot-input{flex:1;min-width:0;height:38px;border:1px solid #ddd;border-radius:19px;padding:0 14px;font:inherit;outline:none;}",
    "#shopbot-input:focus{border-color:#ff0036;}",
    "#shopbot-send{flex:none;height:38px;padding:0 18px;border:0;border-radius:19px;background:#ff0036;color:#fff;font:inherit;cursor:pointer;}",
    "#shopbot-send:disabled{background:#ffb3c2;cursor:default;}",
    "@media (max-width:520px){",
    "#shopbot-chat{left:0;right:0;top:0;bottom:0;width:auto;height:auto;max-height:none;border-radius:0;}",
    "#shopbot-bubble{right:12px;bottom:12px;height:44px;padding:0 14px;}",
    "#shopbot-chat .sb-foot{padding-bottom:calc(10px + env(safe-area-inset-bottom));}",
    "}"
  ].join("");

  // -- DOM ---------------------------------------------------------------------------
  var el = ShopbotChat.el;

  var style = el("style");
  style.textContent = css;

  var bubble = el("button");
  bubble.id = "shopbot-bubble";
  bubble.type = "button";
  bubble.setAttribute("aria-label", "咨询客服");
  bubble.appendChild(el("span", "sb-icon"));
  bubble.appendChild(el("span", "sb-label", "咨询客服"));
  var badge = el("span", "sb-badge");
  badge.hidden = true;
  bubble.appendChild(badge);

  var panel = el("div");
  panel.id = "shopbot-chat";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "在线客服");

  var head = el("div", "sb-head");
  head.appendChild(el("div", "sb-avatar", "客"));
  var titleBox = el("div", "sb-title");
  var shopLine = el("div", "sb-shop", "在线客服");
  var stateLine = el("div", "sb-state", STATE_TEXT.bot);
  titleBox.appendChild(shopLine);
  titleBox.appendChild(stateLine);
  head.appendChild(titleBox);
  var closeBtn = el("button", "sb-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", "收起");
  head.appendChild(closeBtn);

  var banner = el("div", "sb-banner", "连接中…");
  banner.id = "shopbot-banner";
  banner.hidden = true;

  var list = el("div");
  list.id = "shopbot-messages";
  list.setAttribute("aria-live", "polite");

  var typing = el("div");
  typing.id = "shopbot-typing";
  typing.hidden = true;
  typing.appendChild(document.createTextNode("对方正在输入"));
  typing.appendChild(el("span", "sb-dot"));
  typing.appendChild(el("span", "sb-dot"));
  typing.appendChild(el("span", "sb-dot"));

  var foot = el("div", "sb-foot");
  var input = el("input");
  input.id = "shopbot-input";
  input.type = "text";
  input.maxLength = 5000;
  input.placeholder = "请输入您想咨询的问题";
  input.setAttribute("autocomplete", "off");
  input.setAttribute("enterkeyhint", "send");
  var sendBtn = el("button", null, "发送");
  sendBtn.id = "shopbot-send";
  sendBtn.type = "button";
  foot.appendChild(input);
  foot.appendChild(sendBtn);

  panel.appendChild(head);
  panel.appendChild(banner);
  panel.appendChild(list);
  panel.appendChild(typing);
  panel.appendChild(foot);

  // -- 渲染 ---------------------------------------------------------------------------
  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }
  function scrollToBottom() { list.scrollTop = list.scrollHeight; }

  // 消息正文的样子;按钮可点,点了等于买家把按钮的话说出来。
  var BODY_LOOK = { text: "sb-text", image: "sb-img", buttons: "sb-chips", button: "sb-chip", onButton: sendText };

  function buildMessage(message) {
    var sender = ShopbotChat.senderOf(message);
    var node = el("div", "msg msg-" + sender);
    if (sender === "agent") node.appendChild(el("div", "sb-who", "人工客服"));
    else if (sender === "bot") node.appendChild(el("div", "sb-who", "智能助手"));
    return ShopbotChat.renderBody(node, message, BODY_LOOK);
  }

  // 按 id 顺序插入;未确认(pending)的消息总在最后。
  function place(node, id) {
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      var child = children[i];
      if (child === node) continue;
      var cid = parseInt(child.getAttribute("data-id"), 10);
      if (child.classList.contains("pending") || (!isNaN(cid) && cid > id)) {
        list.insertBefore(node, child);
        return;
      }
    }
    list.appendChild(node);
  }

  function findPending(clientId) {
    if (!clientId) return null;
    var nodes = list.querySelectorAll(".msg.pending");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-client-id") === clientId) return nodes[i];
    }
    return null;
  }

  function markId(id) {
    renderedIds[id] = true;
    if (id > maxId) {
      maxId = id;
      storage.set(KEY_AFTER, String(maxId));
    }
  }

  function confirmPending(node, id, text) {
    node.classList.remove("pending");
    node.setAttribute("data-id", String(id));
    var status = node.querySelector(".sb-status");
    if (status) status.parentNode.removeChild(status);
    if (typeof text === "string") {
      var t = node.querySelector(".sb-text");
      if (t && t.textContent !== text) t.textContent = text;
    }
    place(node, id);
  }

  function renderMessage(m, live) {
    if (!m || typeof m !== "object") return;
    var id = parseInt(m.id, 10);
    if (isNaN(id)) return;
    var stick = nearBottom();
    var pending = m.sender === "buyer" ? findPending(m.client_id) : null;
    if (renderedIds[id]) {
      if (pending) pending.parentNode.removeChild(pending);
      if (m.client_id) removeFromOutbox(m.client_id);
      return;
    }
    markId(id);
    if (pending) {
      confirmPending(pending, id, m.text);
      removeFromOutbox(m.client_id);
    } else {
      if (m.sender === "buyer" && m.client_id) removeFromOutbox(m.client_id);
      var node = buildMessage(m);
      node.setAttribute("data-id", String(id));
      if (m.client_id) node.setAttribute("data-client-id", String(m.client_id));
      place(node, id);
    }
    if (m.sender === "bot" || m.sender === "agent") setTyping(false);
    if (live && m.sender !== "buyer" && !isOpen) {
      unread += 1;
      badge.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = false;
    }
    if (stick || m.sender === "buyer") scrollToBottom();
  }

  function renderPending(item) {
    if (findPending(item.client_id)) return;
    var node = buildMessage({ sender: "buyer", text: item.text });
    node.classList.add("pending");
    node.setAttribute("data-client-id", item.client_id);
    node.appendChild(el("div", "sb-status", "发送中…"));
    list.appendChild(node);
    scrollToBottom();
  }

  function clearMessages() {
    while (list.firstChild) list.removeChild(list.firstChild);
    renderedIds = {};
    maxId = 0;
    outbox.forEach(renderPending);
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      var stick = nearBottom();
      typingTimer = setTimeout(function () { typing.hidden = true; }, 20000);
      if (stick) scrollToBottom();
    }
  }

  function setState(state) {
    if (!STATE_TEXT[state]) return;
    chatState = state;
    stateLine.textContent = STATE_TEXT[state];
  }

  function updateBanner(text) {
    if (connected) {
      banner.hidden = true;
    } else {
      banner.textContent = text || "连接中…";
      banner.hidden = false;
    }
  }

  // -- 连接 ---------------------------------------------------------------------------
  function send(frame) {
    if (ws && connected && ws.readyState === 1) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // resend: 这条可能已经到过客服台(发过但没等到确认),客服台先存再问机器人,不会答两遍。
  // 只有确定没发出过的(sent === false)才标 false,客服台可以边存边问,回复更快。
  function flushOutbox() {
    var changed = false;
    outbox.forEach(function (item) {
      if (send({ type: "message", text: item.text, client_id: item.client_id, resend: item.sent !== false }) &&
          item.sent !== true) {
        item.sent = true;
        changed = true;
      }
    });
    if (changed) saveOutbox();
  }

  function connect() {
    if (connecting || connected) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    connecting = true;
    updateBanner();
    var socket;
    try {
      socket = new WebSocket(WS_URL);
    } catch (e) {
      connecting = false;
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onopen = function () {
      if (ws !== socket) return;
      var hello = {
        type: "hello",
        conversation_id: conversationId || null,
        after: everWelcomed ? maxId : 0
      };
      if (buyer.account !== undefined) hello.account = buyer.account;
      if (buyer.ts !== undefined) hello.ts = buyer.ts;
      if (buyer.sig !== undefined) hello.sig = buyer.sig;
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (event) {
      if (ws !== socket) return;
      // 同时到的几条(买家的话和机器人的回答)合在一帧里,按顺序逐条处理
      ShopbotChat.eventsInFrame(event.data).forEach(handle);
    };
    socket.onclose = function () {
      if (ws !== socket) return;
      ws = null;
      connected = false;
      connecting = false;
      setTyping(false);
      updateBanner();
      scheduleReconnect();
    };
    socket.onerror = function () {
      // onclose 随后触发,由它负责重连
    };
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    var delay = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 10000);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function handle(data) {
    switch (data.type) {
      case "welcome":
        connected = true;
        connecting = false;
        retryDelay = 1000;
        if (typeof data.conversation_id === "string") {
          if (data.conversation_id !== conversationId) {
            storage.remove(KEY_AFTER);
            if (conversationId && (maxId > 0 || list.querySelector(".msg:not(.pending)"))) clearMessages();
            conversationId = data.conversation_id;
            storage.set(KEY_CONV, conversationId);
          }
        }
        everWelcomed = true;
        if (typeof data.shop_name === "string" && data.shop_name) shopLine.textContent = data.shop_name;
        if (typeof data.state === "string") setState(data.state);
        updateBanner();
        flushOutbox();
        break;
      case "message":
        renderMessage(data.message, true);
        break;
      case "typing":
        setTyping(!!data.on);
        break;
      case "state":
        if (typeof data.state === "string") setState(data.state);
        break;
      case "error":
        if (typeof data.error === "string" && data.error) {
          banner.textContent = "出错了:" + data.error;
          banner.hidden = false;
          setTimeout(function () { updateBanner(); }, 4000);
        }
        break;
      default:
        break;
    }
  }

  // -- 发送 ---------------------------------------------------------------------------
  function sendText(text) {
    if (typeof text !== "string") return;
    text = text.trim();
    if (!text) return;
    if (text.length > 5000) text = text.slice(0, 5000);
    var item = { client_id: newClientId(), text: text, at: Date.now(), sent: false };
    outbox.push(item);
    saveOutbox();
    renderPending(item);
    if (send({ type: "message", text: item.text, client_id: item.client_id, resend: false })) {
      item.sent = true;
      saveOutbox();
    } else {
      connect();
    }
  }

  function submit() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendText(text);
    input.focus();
  }

  sendBtn.addEventListener("click", submit);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });

  function open() {
    isOpen = true;
    panel.hidden = false;
    unread = 0;
    badge.hidden = true;
    connect();
    updateBanner();
    scrollToBottom();
    setTimeout(function () { try { input.focus(); } catch (e) { /* 忽略 */ } }, 0);
  }
  function close() {
    isOpen = false;
    panel.hidden = true;
  }
  bubble.addEventListener("click", function () { if (isOpen) close(); else open(); });
  closeBtn.addEventListener("click", close);

  // -- 挂载 ---------------------------------------------------------------------------
  function mount() {
    (document.head || document.documentElement).appendChild(style);
    document.body.appendChild(panel);
    document.body.appendChild(bubble);
    outbox.forEach(renderPending);
    // 有进行中的会话或待发消息时立即连上(收得到客服回复、补发消息);否则等买家打开再建会话。
    if (conversationId || outbox.length) connect();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.ShopbotWidget = { open: open, close: close, send: sendText };
})();
