/* 买家挂件之一:与客服台的连接和发件箱。
 * 连上 /ws/buyer,握手(hello,带上已看到的最大 id),断线后逐步放慢重连;
 * 买家发的话先进发件箱(存在本地),连上后补发,客服台按 client_id 去重,不会答两遍。
 * 挂件的各部分不单独载入:客服台把 chat-render.js(ShopbotChat)和 WIDGET_PARTS 里的各部分
 * 按顺序拼进一个函数,发出一个 /widget.js(shopbot/desk/widget_bundle.py)。各部分顶层的
 * var 和 function 同在这个函数里,彼此可见,却不占店铺页面的全局名字。
 */
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
    if (send({ type: "message", text: item.text, client_id: item.client_id, resend: item.sent !== false,
               sku: pageSku }) &&
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
      resume: resumeToken || null,
      after: everWelcomed ? maxId : 0
    };
    if (buyer.account !== undefined) hello.account = buyer.account;
    if (buyer.ts !== undefined) hello.ts = buyer.ts;
    if (buyer.sig !== undefined) hello.sig = buyer.sig;
    if (pageSku) hello.sku = pageSku;
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
        if (typeof data.resume === "string" && data.resume !== resumeToken) {
          resumeToken = data.resume;
          storage.set(KEY_RESUME, resumeToken);
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
        banner.textContent = data.retry_after ? data.error : "出错了:" + data.error;
        banner.hidden = false;
        setTimeout(function () { updateBanner(); }, 4000);
      }
      // 发得太快被拒的那句没有存下:留在待发队列里,等一会儿再发
      if (typeof data.client_id === "string" && typeof data.retry_after === "number") {
        resendLater(data.client_id, data.retry_after);
      }
      break;
    default:
      break;
  }
}

function resendLater(clientId, seconds) {
  setTimeout(function () {
    outbox.forEach(function (item) {
      if (item.client_id === clientId) {
        send({ type: "message", text: item.text, client_id: item.client_id, resend: true, sku: pageSku });
      }
    });
  }, Math.min(Math.max(seconds, 1), 60) * 1000);
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
  if (send({ type: "message", text: item.text, client_id: item.client_id, resend: false, sku: pageSku })) {
    item.sent = true;
    saveOutbox();
  } else {
    connect();
  }
}
