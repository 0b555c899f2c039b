/* 买家挂件之一:买家的操作与挂载。
 * 输入框与发送按钮、打开和收起对话框,把挂件放进页面,并给店铺页面留一个
 * window.ShopbotWidget(open、close、send)。本文件排在挂件各部分的最后。
 * 挂件的各部分不单独载入:客服台把 chat-render.js(ShopbotChat)和 WIDGET_PARTS 里的各部分
 * 按顺序拼进一个函数,发出一个 /widget.js(shopbot/desk/widget_bundle.py)。各部分顶层的
 * var 和 function 同在这个函数里,彼此可见,却不占店铺页面的全局名字。
 */
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
