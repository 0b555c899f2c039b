/* 买家挂件之一:样式与页面元素。
 * 建好气泡按钮、对话框(标题、横幅、消息列表、输入提示、输入框)和它们的样式表,
 * 先不放进页面(挂载见 widget-ui.js);样式全部限定在 #shopbot-* 之下,不影响店铺页面。
 * 挂件的各部分不单独载入:客服台把 chat-render.js(ShopbotChat)和 WIDGET_PARTS 里的各部分
 * 按顺序拼进一个函数,发出一个 /widget.js(shopbot/desk/widget_bundle.py)。各部分顶层的
 * var 和 function 同在这个函数里,彼此可见,却不占店铺页面的全局名字。
 */
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
