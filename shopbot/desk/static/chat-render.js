/* 买家挂件与客服工作台共用:读客服台发来的帧,显示一条消息的正文。
 *
 * 一种新的回复(文字、图片、按钮……)只在 renderBody 里加一次,挂件和工作台就都会显示。
 * 本文件只声明一个名字 ShopbotChat:
 *   - 工作台用 <script src="/static/chat-render.js"> 载入,它是全局变量;
 *   - /widget.js 由客服台把本文件和挂件自己的各部分(widget-*.js)拼在一个函数里发出
 *     (shopbot/desk/widget_bundle.py),它只在挂件内部可见,不占店铺页面的全局名字。
 * 安全:消息里的文字一律经 textContent 插入,从不使用 innerHTML;
 * 图片地址只接受 https:// 或站内 / 开头的(safeImageUrl),并以属性方式赋值。
 */
var ShopbotChat = (function () {
  "use strict";

  var SENDERS = ["buyer", "bot", "agent", "system"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // 可以放进 <img src> 的地址,或 null:只要 https:// 或站内路径("//" 和 "/\" 开头的是别的站)。
  function safeImageUrl(url) {
    if (typeof url !== "string") return null;
    url = url.trim();
    if (url.indexOf("https://") === 0) return url;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\") return url;
    return null;
  }

  // 一帧里的事件,按顺序。一帧是一个事件,或同时到的几个合成的
  // {"type": "batch", "events": [...]}(服务器端见 shopbot/desk/frames.py)。读不懂的帧没有事件。
  function eventsInFrame(text) {
    var data;
    try { data = JSON.parse(text); } catch (e) { return []; }
    if (!data || typeof data !== "object") return [];
    var events = data.type === "batch" && Array.isArray(data.events) ? data.events : [data];
    return events.filter(function (one) { return one && typeof one === "object"; });
  }

  // 消息的发送方;不认识的当作系统消息。
  function senderOf(message) {
    return SENDERS.indexOf(message && message.sender) >= 0 ? message.sender : "system";
  }

  // 买家点按钮时发出的文字。以 "/" 开头的 Rasa 指令会被客服台有意转义(买家不能直接下指令),
  // 这类按钮改发买家看得到的标题文字,效果等同于买家自己说出来。
  function buttonReply(title, value) {
    return value && value.charAt(0) !== "/" ? value : (title || value);
  }

  function imageNode(src, className) {
    var img = document.createElement("img");
    img.className = className;
    img.alt = "图片";
    img.loading = "lazy";
    img.src = src;
    return img;
  }

  function photoNode(thumb, full, className) {
    var img = imageNode(thumb, className);
    if (!full) return img;
    var link = el("a");
    link.href = full;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.appendChild(img);
    return link;
  }

  function buttonsNode(buttons, look) {
    var box = el("div", look.buttons);
    buttons.forEach(function (b) {
      if (!b || typeof b !== "object") return;
      var title = typeof b.title === "string" ? b.title : "";
      var value = typeof b.payload === "string" ? b.payload : "";
      if (!title && !value) return;
      var chip;
      if (look.onButton) {
        chip = el("button", look.button, title || value);
        chip.type = "button";
        chip.addEventListener("click", function () { look.onButton(buttonReply(title, value)); });
      } else {
        chip = el("span", look.button, title || value);
        if (value) chip.title = value;
      }
      box.appendChild(chip);
    });
    return box.childNodes.length ? box : null;
  }

  /* 把一条消息的正文加到 container 里,每种回复一处:
   *   text     → look.text 类的 <div>;
   *   image    → look.image 类的 <img>(地址不安全就不显示);
 *   photo    → 买家发的照片:缩略图(look.image 类),点开是原图;不再显示 "[图片]" 文字;
   *   buttons  → look.buttons 类的 <div>,每个按钮是 look.button 类的:
   *              有 look.onButton(text) 时是可点的 <button>,点了发 buttonReply 的文字(挂件);
   *              没有时是只读的 <span>,悬停看到它的指令(工作台);
   *   custom   → 不显示:客服台自己处理(如转人工),买家和客服只看到同一条回复的文字。
   * 什么都没有时放一个空的文字块,消息不会没有气泡。
   */
  function renderBody(container, message, look) {
    var shown = 0;
    function add(node) {
      if (!node) return;
      container.appendChild(node);
      shown += 1;
    }
    var payload = message.payload && typeof message.payload === "object" ? message.payload : null;
    var photo = payload && typeof payload.photo === "string" ? safeImageUrl(payload.thumb_url) : null;
    // A buyer's photo: its thumbnail, opening the photo; the "[图片]" text is for text-only views.
    if (photo) add(photoNode(photo, safeImageUrl(payload.url), look.image));
    else if (typeof message.text === "string" && message.text !== "") add(el("div", look.text, message.text));
    if (payload) {
      var src = safeImageUrl(payload.image);
      if (src) add(imageNode(src, look.image));
      if (Array.isArray(payload.buttons) && payload.buttons.length) add(buttonsNode(payload.buttons, look));
    }
    if (!shown) container.appendChild(el("div", look.text, ""));
    return container;
  }

  return Object.freeze({
    el: el,
    safeImageUrl: safeImageUrl,
    eventsInFrame: eventsInFrame,
    senderOf: senderOf,
    buttonReply: buttonReply,
    renderBody: renderBody
  });
})();
