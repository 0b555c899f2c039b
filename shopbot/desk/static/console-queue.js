/* 客服工作台之一:左栏的两个会话列表,“等待接入”和“我的会话”,以及接入会话。
 * 每 5 秒(和实时事件之后)从 /api/queue 刷新;数据没变就不重画,等待时长每秒走一次。
 * 状态与别的部分共用,见 console-base.js(window.ShopbotConsole)。
 * 安全:账号名、原因、最后一句等一律用 textContent 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var C = window.ShopbotConsole, S = C.state;
  var $ = D.$, el = D.el, clear = D.clear, toast = D.toast, errorOf = D.errorOf;
  var api = C.api, PRIORITIES = C.PRIORITIES;

  var refreshTimer = null;
  var claimErrorTimer = null;

  function refreshQueue() {
    if (!S.me) return Promise.resolve();
    return api("GET", "/api/queue").then(function (res) {
      var err = $("queue-error");
      if (!res.ok) {
        if (res.status !== 401) {
          err.textContent = errorOf(res, "队列加载失败");
          err.hidden = false;
        }
        return;
      }
      err.hidden = true;
      var data = res.data || {};
      S.queueData = { waiting: Array.isArray(data.waiting) ? data.waiting : [],
                      mine: Array.isArray(data.mine) ? data.mine : [] };
      if (typeof data.now === "number") S.clockOffset = data.now - Date.now() / 1000;
      renderQueue();
      var all = S.queueData.waiting.concat(S.queueData.mine);
      for (var i = 0; i < all.length; i++) {
        if (all[i].id === S.selectedId) { C.updateSelected(all[i]); break; }
      }
    });
  }
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshQueue, 150);
  }

  function convItem(c, kind) {
    var li = el("li", kind === "waiting" ? "queue-item" : "mine-item");
    li.setAttribute("data-id", c.id);
    if (c.id === S.selectedId) li.classList.add("selected");

    var row = el("div", "conv-row");
    row.appendChild(el("span", "conv-account", C.accountText(c.account)));
    if (S.unreadBy[c.id]) row.appendChild(el("span", "badge", S.unreadBy[c.id] > 99 ? "99+" : S.unreadBy[c.id]));
    if (kind === "waiting") {
      var claim = el("button", "btn btn-primary btn-small claim", "接入");
      claim.type = "button";
      claim.addEventListener("click", function (e) {
        e.stopPropagation();
        claimConversation(c.id, claim);
      });
      row.appendChild(claim);
    }
    li.appendChild(row);

    var meta = el("div", "conv-meta");
    if (c.priority) meta.appendChild(el("span", "tag prio-" + (PRIORITIES[c.priority] ? c.priority : "normal"), C.priorityText(c.priority)));
    if (c.reason) meta.appendChild(el("span", "tag tag-reason", C.reasonText(c.reason)));
    if (kind === "waiting" && typeof c.waiting_since === "number") {
      var wait = el("span", "wait");
      wait.setAttribute("data-since", String(c.waiting_since));
      wait.textContent = "等待 " + C.duration(Date.now() / 1000 + S.clockOffset - c.waiting_since);
      meta.appendChild(wait);
    }
    li.appendChild(meta);

    var summary = c.summary && typeof c.summary === "object" ? c.summary : {};
    var last = S.lastPreview[c.id] || (typeof summary.last_message === "string" ? summary.last_message : "");
    if (last) {
      var lastNode = el("div", "conv-last", last);
      lastNode.title = last;
      li.appendChild(lastNode);
    }
    li.addEventListener("click", function () { C.selectConversation(c.id); });
    return li;
  }

  function renderQueue() {
    var queue = $("queue"), mine = $("mine");
    var queueData = S.queueData;
    // 数据没变就不重建列表(避免每 5 秒闪烁、按钮被替换)
    var key = JSON.stringify([queueData, S.unreadBy, S.lastPreview, S.selectedId]);
    if (key === S.lastRendered) return;
    S.lastRendered = key;
    clear(queue);
    clear(mine);
    queueData.waiting.forEach(function (c) { queue.appendChild(convItem(c, "waiting")); });
    queueData.mine.forEach(function (c) { mine.appendChild(convItem(c, "mine")); });
    $("queue-empty").hidden = queueData.waiting.length > 0;
    $("mine-empty").hidden = queueData.mine.length > 0;
    var qc = $("queue-count");
    qc.textContent = String(queueData.waiting.length);
    qc.classList.toggle("hot", queueData.waiting.length > 0);
    $("mine-count").textContent = String(queueData.mine.length);
    document.title = (queueData.waiting.length ? "(" + queueData.waiting.length + ") " : "") + "客服工作台";
  }

  function tickWaits() {
    var now = Date.now() / 1000 + S.clockOffset;
    var nodes = document.querySelectorAll("#queue .wait[data-since]");
    for (var i = 0; i < nodes.length; i++) {
      var since = parseFloat(nodes[i].getAttribute("data-since"));
      if (!isNaN(since)) nodes[i].textContent = "等待 " + C.duration(now - since);
    }
  }

  function claimConversation(id, button) {
    if (button) button.disabled = true;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/claim").then(function (res) {
      if (button) button.disabled = false;
      if (res.ok) {
        toast("已接入该会话");
        refreshQueue();
        C.selectConversation(id);
      } else {
        var msg = errorOf(res, "接入失败");
        toast(msg);
        showClaimError(msg);
        if (id === S.selectedId) C.showChatError(msg);
        refreshQueue();
        if (id === S.selectedId) C.loadConversation(id);
      }
    });
  }
  function showClaimError(text) {
    var box = $("claim-error");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(claimErrorTimer);
    claimErrorTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  $("queue-refresh").addEventListener("click", refreshQueue);

  C.refreshQueue = refreshQueue;
  C.scheduleRefresh = scheduleRefresh;
  C.renderQueue = renderQueue;
  C.tickWaits = tickWaits;
  C.claimConversation = claimConversation;
})();
