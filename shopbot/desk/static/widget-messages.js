/* 买家挂件之一:显示消息。
 * 按 id 顺序放消息,先显示买家刚发、还没确认的(pending),确认后换成正式的一条;
 * 以及“对方正在输入”、会话状态和连接横幅。消息正文由 ShopbotChat.renderBody 画。
 * 安全:买家、机器人、客服写的任何文字都只经 textContent / createTextNode 插入页面,
 * 从不拼接 HTML;图片地址经 ShopbotChat.safeImageUrl 过滤,并以属性方式赋值。
 * 挂件的各部分不单独载入:客服台把 chat-render.js(ShopbotChat)和 WIDGET_PARTS 里的各部分
 * 按顺序拼进一个函数,发出一个 /widget.js(shopbot/desk/widget_bundle.py)。各部分顶层的
 * var 和 function 同在这个函数里,彼此可见,却不占店铺页面的全局名字。
 */
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
