/* 买家挂件之一:配置与状态。
 * 用法:<script src="/widget.js" data-buyer='{"account":..,"ts":..,"sig":..}' data-sku="SN001"></script>
 * 这里读买家身份(data-buyer)和客服台地址,按账号分开的本地存储与发件箱,以及连接、显示的状态,
 * 挂件的其他部分都用它们,所以本文件排在挂件各部分的最前面。
 * 挂件的各部分不单独载入:客服台把 chat-render.js(ShopbotChat)和 WIDGET_PARTS 里的各部分
 * 按顺序拼进一个函数,发出一个 /widget.js(shopbot/desk/widget_bundle.py)。各部分顶层的
 * var 和 function 同在这个函数里,彼此可见,却不占店铺页面的全局名字。
 */
// 同一页面第二次载入 /widget.js 时什么也不做:本文件在 widget.js 的函数体里,这里的 return 结束整个挂件。
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

// 挂件所在的商品页(data-sku="SN001"):只作上下文,让"这个/这款"指这件宝贝,不是身份。
var pageSku = null;
(function () {
  var sku = script && script.getAttribute("data-sku");
  if (typeof sku === "string" && /^[A-Za-z0-9_-]{1,32}$/.test(sku)) pageSku = sku;
})();

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
// 会话自己的令牌(欢迎消息给的):签名过期后重连,靠它回到同一个会话
var KEY_RESUME = "shopbot:" + who + ":resume";
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
var resumeToken = storage.get(KEY_RESUME);
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
