/* 客服工作台之一:各部分共用的名字空间 window.ShopbotConsole(状态、文字、api)。
 *
 * 工作台分成几个文件,各管一件事,在 console.html 里按这个顺序载入(在 /desk-labels.js、
 * desk-common.js、chat-render.js 之后):
 *   console-base.js          本文件:共用的状态、显示用的文字、api
 *   console-queue.js         左栏:等待接入与我的会话两个列表、接入
 *   console-conversation.js  中栏与右栏:选中的会话(标题与操作、聊天记录、会话摘要)
 *   console-reply.js         回复框:发送、天猫规则提醒、快捷回复
 *   console-live.js          实时连接(/ws/agent)与定时刷新
 *   console-login.js         登录、退出与启动,最后载入
 * 各部分只通过 ShopbotConsole 互相调用(C.refreshQueue() 之类)、共用状态(C.state),
 * 工作台不再新增别的全局名字。
 * 安全:买家与客服输入的文字、摘要、原因、账号名一律用 textContent / createTextNode 插入,
 * 不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var REASONS = D.HANDOFF_REASONS;  // 转人工原因 → 中文
  var has = D.has;

  var PRIORITIES = { high: "紧急", normal: "普通", low: "低" };
  var STATES = { bot: "机器人接待中", waiting: "等待接入", agent: "人工接待中", closed: "已结束" };
  var SENDERS = { buyer: "买家", bot: "机器人", agent: "客服", system: "系统" };
  var ENTITY_NAMES = { order_id: "订单号", product: "商品", region: "地区", courier: "快递",
    problem_type: "问题类型", amount: "金额" };

  function reasonText(code) {
    if (!code) return "";
    return has(REASONS, code) ? REASONS[code] : String(code);
  }
  function priorityText(p) {
    return has(PRIORITIES, p) ? PRIORITIES[p] : (p ? String(p) : "");
  }
  function accountText(a) { return a ? String(a) : "匿名买家"; }
  function clock(ts) {
    if (typeof ts !== "number") return "";
    return D.timeLabel(ts, true, "");
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h > 0) return h + "小时" + m + "分";
    if (m > 0) return m + "分" + s + "秒";
    return s + "秒";
  }

  var C = window.ShopbotConsole = {
    PRIORITIES: PRIORITIES,
    STATES: STATES,
    SENDERS: SENDERS,
    ENTITY_NAMES: ENTITY_NAMES,
    reasonText: reasonText,
    priorityText: priorityText,
    accountText: accountText,
    clock: clock,
    duration: duration,
    // 登录以外的请求得到 401 时,回到登录卡片(C.onUnauthorized 在 console-login.js)
    api: D.createApi({ unauthorized: function () { C.onUnauthorized(); } }),
    // 各部分共用的状态
    state: {
      me: null,                          // 登录的客服
      queueData: { waiting: [], mine: [] },
      clockOffset: 0,                    // 服务器时间 - 本机时间(秒)
      selectedId: null,
      selectedConv: null,
      shownIds: {},                      // 当前会话已显示的消息 id
      unreadBy: {},                      // 其他会话的新消息数
      lastPreview: {},                   // 会话 id -> 最新一条买家消息(实时)
      lastRendered: ""                   // 上次画队列时的数据,没变就不重画
    }
  };
})();
