/* 客服工作台。
 * 安全:买家与客服输入的文字、摘要、原因、账号名一律用 textContent / createTextNode 插入,
 * 不使用 innerHTML。
 */
(function () {
  "use strict";

  var PRIORITIES = { high: "紧急", normal: "普通", low: "低" };
  var STATES = { bot: "机器人接待中", waiting: "等待接入", agent: "人工接待中", closed: "已结束" };
  var SENDERS = { buyer: "买家", bot: "机器人", agent: "客服", system: "系统" };
  var ENTITY_NAMES = { order_id: "订单号", product: "商品", region: "地区", courier: "快递",
    problem_type: "问题类型", amount: "金额" };

  var D = window.ShopbotDesk;
  var INTENTS = D.INTENTS;  // 意图名 → 中文
  var REASONS = D.HANDOFF_REASONS;  // 转人工原因 → 中文
  var Chat = window.ShopbotChat;  // 与买家挂件共用:读帧、显示消息正文
  var $ = D.$, el = D.el, clear = D.clear, has = D.has, toast = D.toast, errorOf = D.errorOf;
  var api = D.createApi({ unauthorized: onUnauthorized });

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

  // -- 状态 ---------------------------------------------------------------------------
  var me = null;
  var queueData = { waiting: [], mine: [] };
  var clockOffset = 0;          // 服务器时间 - 本机时间(秒)
  var selectedId = null;
  var selectedConv = null;
  var shownIds = {};            // 当前会话已显示的消息 id
  var unreadBy = {};            // 其他会话的新消息数
  var lastPreview = {};         // 会话 id -> 最新一条买家消息(实时)
  var agentWs = null;
  var wsRetry = 1000;
  var wsTimer = null;
  var pollTimer = null;
  var tickTimer = null;
  var refreshTimer = null;
  var pendingConfirmText = null;

  // -- 登录 ---------------------------------------------------------------------------
  function showLogin() {
    me = null;
    lastRendered = "";
    $("desk-view").hidden = true;
    D.showLoginView();
    stopLive();
  }
  function showDesk(user) {
    me = user;
    $("login-view").hidden = true;
    $("desk-view").hidden = false;
    $("userbox").hidden = false;
    $("current-user").textContent = user.username;
    startLive();
  }
  function onUnauthorized() {
    if (me) D.sessionExpired(showLogin);
  }

  D.loginCard(api, showDesk);
  D.bindLogout(api, function () {
    selectedId = null;
    selectedConv = null;
    $("chat").hidden = true;
    $("chat-placeholder").hidden = false;
    showLogin();
  });

  // -- 队列 ---------------------------------------------------------------------------
  function refreshQueue() {
    if (!me) return Promise.resolve();
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
      queueData = { waiting: Array.isArray(data.waiting) ? data.waiting : [],
                    mine: Array.isArray(data.mine) ? data.mine : [] };
      if (typeof data.now === "number") clockOffset = data.now - Date.now() / 1000;
      renderQueue();
      var all = queueData.waiting.concat(queueData.mine);
      for (var i = 0; i < all.length; i++) {
        if (all[i].id === selectedId) { updateSelected(all[i]); break; }
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
    if (c.id === selectedId) li.classList.add("selected");

    var row = el("div", "conv-row");
    row.appendChild(el("span", "conv-account", accountText(c.account)));
    if (unreadBy[c.id]) row.appendChild(el("span", "badge", unreadBy[c.id] > 99 ? "99+" : unreadBy[c.id]));
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
    if (c.priority) meta.appendChild(el("span", "tag prio-" + (PRIORITIES[c.priority] ? c.priority : "normal"), priorityText(c.priority)));
    if (c.reason) meta.appendChild(el("span", "tag tag-reason", reasonText(c.reason)));
    if (kind === "waiting" && typeof c.waiting_since === "number") {
      var wait = el("span", "wait");
      wait.setAttribute("data-since", String(c.waiting_since));
      wait.textContent = "等待 " + duration(Date.now() / 1000 + clockOffset - c.waiting_since);
      meta.appendChild(wait);
    }
    li.appendChild(meta);

    var summary = c.summary && typeof c.summary === "object" ? c.summary : {};
    var last = lastPreview[c.id] || (typeof summary.last_message === "string" ? summary.last_message : "");
    if (last) {
      var lastNode = el("div", "conv-last", last);
      lastNode.title = last;
      li.appendChild(lastNode);
    }
    li.addEventListener("click", function () { selectConversation(c.id); });
    return li;
  }

  var lastRendered = "";
  function renderQueue() {
    var queue = $("queue"), mine = $("mine");
    // 数据没变就不重建列表(避免每 5 秒闪烁、按钮被替换)
    var key = JSON.stringify([queueData, unreadBy, lastPreview, selectedId]);
    if (key === lastRendered) return;
    lastRendered = key;
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
    var now = Date.now() / 1000 + clockOffset;
    var nodes = document.querySelectorAll("#queue .wait[data-since]");
    for (var i = 0; i < nodes.length; i++) {
      var since = parseFloat(nodes[i].getAttribute("data-since"));
      if (!isNaN(since)) nodes[i].textContent = "等待 " + duration(now - since);
    }
  }

  function claimConversation(id, button) {
    if (button) button.disabled = true;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/claim").then(function (res) {
      if (button) button.disabled = false;
      if (res.ok) {
        toast("已接入该会话");
        refreshQueue();
        selectConversation(id);
      } else {
        var msg = errorOf(res, "接入失败");
        toast(msg);
        showClaimError(msg);
        if (id === selectedId) showChatError(msg);
        refreshQueue();
        if (id === selectedId) loadConversation(id);
      }
    });
  }
  var claimErrorTimer = null;
  function showClaimError(text) {
    var box = $("claim-error");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(claimErrorTimer);
    claimErrorTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  $("queue-refresh").addEventListener("click", refreshQueue);

  // -- 会话 ---------------------------------------------------------------------------
  function showChatError(text) {
    var box = $("chat-error");
    if (text) { box.textContent = text; box.hidden = false; }
    else { box.textContent = ""; box.hidden = true; }
  }

  function selectConversation(id, keepError) {
    var changed = id !== selectedId;
    selectedId = id;
    delete unreadBy[id];
    if (changed) {
      selectedConv = null;
      shownIds = {};
      clear($("transcript"));
      hideBreaches();
      $("reply-text").value = "";
    }
    if (!keepError) showChatError("");
    $("chat-placeholder").hidden = true;
    $("chat").hidden = false;
    var items = document.querySelectorAll(".conv-list li");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("selected", items[i].getAttribute("data-id") === id);
      if (items[i].getAttribute("data-id") === id) {
        var b = items[i].querySelector(".badge");
        if (b) b.parentNode.removeChild(b);
      }
    }
    loadConversation(id);
  }

  function loadConversation(id) {
    return api("GET", "/api/conversations/" + encodeURIComponent(id)).then(function (res) {
      if (id !== selectedId) return;
      if (!res.ok) {
        showChatError(errorOf(res, "会话加载失败"));
        return;
      }
      updateSelected(res.data.conversation);
      (res.data.messages || []).forEach(appendLine);
      scrollTranscript(true);
    });
  }

  function updateSelected(c) {
    if (!c || c.id !== selectedId) return;
    selectedConv = c;
    $("chat-account").textContent = accountText(c.account);
    var st = $("chat-state");
    st.textContent = (STATES[c.state] || c.state || "") + (c.state === "agent" && c.agent ? "(" + c.agent + ")" : "");
    st.className = "tag state-" + (c.state || "");
    $("chat-reason").textContent = c.reason ? "原因:" + reasonText(c.reason) : "";
    var pr = $("chat-priority");
    pr.textContent = c.priority && c.state === "waiting" ? priorityText(c.priority) : "";
    pr.className = "tag prio-" + (PRIORITIES[c.priority] ? c.priority : "normal");

    var mineNow = me && c.state === "agent" && c.agent === me.username;
    $("chat-claim").hidden = c.state !== "waiting";
    $("hand-back").disabled = !mineNow;
    $("close-chat").disabled = c.state === "closed";
    var hint = "";
    if (c.state === "waiting") hint = "请先接入该会话再回复";
    else if (c.state === "agent" && !mineNow) hint = "该会话由 " + (c.agent || "其他客服") + " 接待中";
    else if (c.state === "bot") hint = "机器人接待中,需买家转人工后才能回复";
    else if (c.state === "closed") hint = "会话已结束";
    $("composer-hint").textContent = hint;
    renderSummary(c);
  }

  function renderSummary(c) {
    var box = $("summary");
    clear(box);
    var s = c.summary && typeof c.summary === "object" ? c.summary : {};
    var dl = el("dl");
    function row(label, value) {
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (value instanceof Node) dd.appendChild(value);
      else dd.textContent = value === undefined || value === null || value === "" ? "—" : String(value);
      dl.appendChild(dd);
    }
    row("买家", accountText(c.account || s.account));
    row("状态", STATES[c.state] || c.state);
    row("转人工原因", reasonText(c.reason));
    row("优先级", priorityText(c.priority));
    if (c.agent) row("接待客服", c.agent);
    var intents = Array.isArray(s.intents) ? s.intents : [];
    if (intents.length) {
      var chips = el("div", "chips");
      intents.forEach(function (name) {
        var chip = el("span", null, INTENTS[name] || String(name));
        chip.title = String(name);
        chips.appendChild(chip);
      });
      row("意图", chips);
    } else {
      row("意图", "");
    }
    var entities = s.entities && typeof s.entities === "object" ? s.entities : {};
    var keys = Object.keys(entities);
    if (keys.length) {
      keys.forEach(function (k) {
        var v = entities[k];
        row(ENTITY_NAMES[k] || k, typeof v === "object" ? JSON.stringify(v) : v);
      });
    } else {
      row("关键信息", "");
    }
    row("最后一句", typeof s.last_message === "string" ? s.last_message : "");
    box.appendChild(dl);
  }

  function scrollTranscript(force) {
    var t = $("transcript");
    if (force || t.scrollHeight - t.scrollTop - t.clientHeight < 120) t.scrollTop = t.scrollHeight;
  }

  // 消息正文的样子;按钮只读(悬停看它的指令),客服不替买家点。
  var BODY_LOOK = { text: "line-body", image: "line-img", buttons: "line-buttons", button: "" };

  function appendLine(m) {
    if (!m || typeof m !== "object") return;
    var id = parseInt(m.id, 10);
    if (isNaN(id) || shownIds[id]) return;
    shownIds[id] = true;
    var sender = Chat.senderOf(m);
    var li = el("li", "line line-" + sender);
    li.setAttribute("data-id", String(id));

    var head = el("div", "line-head");
    var whoText = SENDERS[sender];
    if (sender === "agent" && m.author) whoText += " " + m.author;
    head.appendChild(el("span", "who", whoText));
    head.appendChild(el("span", "time", clock(m.created_at)));
    li.appendChild(head);

    Chat.renderBody(li, m, BODY_LOOK);

    var list = $("transcript");
    var stick = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    var children = list.children, placed = false;
    for (var i = 0; i < children.length; i++) {
      var cid = parseInt(children[i].getAttribute("data-id"), 10);
      if (!isNaN(cid) && cid > id) { list.insertBefore(li, children[i]); placed = true; break; }
    }
    if (!placed) list.appendChild(li);
    if (stick || sender === "agent") scrollTranscript(true);
  }

  // -- 回复 ---------------------------------------------------------------------------
  function hideBreaches() {
    $("breach-box").hidden = true;
    clear($("breach-list"));
    pendingConfirmText = null;
  }
  function showBreaches(res, text) {
    var list = $("breach-list");
    clear(list);
    $("breach-message").textContent = errorOf(res, "这条回复可能违反天猫规则,请修改或确认后再发送");
    (res.data.breaches || []).forEach(function (b) {
      var li = el("li");
      li.appendChild(el("span", "b-title", b && b.title ? b.title : (b && b.rule) || "规则提醒"));
      if (b && b.excerpt) li.appendChild(el("span", "b-excerpt", b.excerpt));
      list.appendChild(li);
    });
    pendingConfirmText = text;
    $("breach-box").hidden = false;
  }

  function sendReply(text, confirm) {
    if (!selectedId) return;
    if (typeof text !== "string" || !text.trim()) {
      showChatError("回复内容不能为空");
      return;
    }
    var id = selectedId;
    var body = { text: text };
    if (confirm) body.confirm = true;
    $("reply-send").disabled = true;
    $("breach-confirm").disabled = true;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/messages", body).then(function (res) {
      $("reply-send").disabled = false;
      $("breach-confirm").disabled = false;
      if (id !== selectedId) return;
      if (res.ok) {
        showChatError("");
        hideBreaches();
        if ($("reply-text").value === text) $("reply-text").value = "";
        if (res.data && res.data.message) appendLine(res.data.message);
        $("reply-text").focus();
      } else if (res.status === 422 && res.data && Array.isArray(res.data.breaches)) {
        showChatError("");
        showBreaches(res, text);
      } else {
        showChatError(errorOf(res, "发送失败"));
      }
    });
  }

  $("reply-send").addEventListener("click", function () {
    hideBreaches();
    sendReply($("reply-text").value, false);
  });
  $("reply-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      hideBreaches();
      sendReply($("reply-text").value, false);
    }
  });
  $("reply-text").addEventListener("input", function () {
    // 改过的内容要重新检查,旧的“确认发送”作废
    if (pendingConfirmText !== null && $("reply-text").value !== pendingConfirmText) hideBreaches();
  });
  $("breach-edit").addEventListener("click", function () {
    hideBreaches();
    $("reply-text").focus();
  });
  $("breach-confirm").addEventListener("click", function () {
    if (pendingConfirmText === null) return;
    sendReply(pendingConfirmText, true);
  });

  function conversationAction(action, doneText) {
    if (!selectedId) return;
    var id = selectedId;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/" + action).then(function (res) {
      if (res.ok) {
        toast(doneText);
        showChatError("");
        if (id === selectedId) updateSelected(res.data);
      } else {
        showChatError(errorOf(res, "操作失败"));
      }
      refreshQueue();
    });
  }
  $("hand-back").addEventListener("click", function () { conversationAction("hand-back", "已交还机器人"); });
  $("close-chat").addEventListener("click", function () {
    if (window.confirm("确定结束这个会话吗?")) conversationAction("close", "会话已结束");
  });
  $("chat-claim").addEventListener("click", function () {
    if (selectedId) claimConversation(selectedId, $("chat-claim"));
  });

  // -- 快捷回复 ---------------------------------------------------------------------------
  var quickTimer = null, quickSeq = 0;
  function loadQuick() {
    var q = $("quick-search").value.trim();
    var seq = ++quickSeq;
    api("GET", "/api/quick-replies?q=" + encodeURIComponent(q)).then(function (res) {
      if (seq !== quickSeq) return;
      var list = $("quick-list");
      clear(list);
      if (!res.ok || !Array.isArray(res.data)) {
        list.appendChild(el("li", "muted", errorOf(res, "加载失败")));
        return;
      }
      if (!res.data.length) {
        list.appendChild(el("li", "muted", "没有匹配的话术"));
        return;
      }
      res.data.forEach(function (item) {
        var li = el("li", "quick-item");
        li.appendChild(el("span", "q-text", item.text));
        if (item.name) li.appendChild(el("span", "q-name", item.name));
        li.title = "点击填入回复框";
        li.addEventListener("click", function () {
          var box = $("reply-text");
          box.value = item.text;
          hideBreaches();
          box.focus();
        });
        list.appendChild(li);
      });
    });
  }
  $("quick-search").addEventListener("input", function () {
    clearTimeout(quickTimer);
    quickTimer = setTimeout(loadQuick, 250);
  });

  // -- 实时 ---------------------------------------------------------------------------
  function setLive(on) {
    var s = $("live-status");
    s.textContent = on ? "● 实时" : "● 重连中…";
    s.classList.toggle("off", !on);
  }

  function connectWs() {
    if (!me || agentWs) return;
    clearTimeout(wsTimer);
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent";
    var socket;
    try { socket = new WebSocket(url); } catch (e) { scheduleWs(); return; }
    agentWs = socket;
    socket.onopen = function () {
      if (agentWs !== socket) return;
      wsRetry = 1000;
      setLive(true);
      refreshQueue();
      if (selectedId) loadConversation(selectedId);  // 补上断线期间的消息(按 id 去重)
    };
    socket.onmessage = function (event) {
      if (agentWs !== socket) return;
      // 同时到的几条事件合在一帧里,按顺序逐条处理
      Chat.eventsInFrame(event.data).forEach(onLiveEvent);
    };
    socket.onclose = function () {
      if (agentWs !== socket) return;
      agentWs = null;
      setLive(false);
      if (me) scheduleWs();
    };
  }
  function onLiveEvent(data) {
    if (data.type === "error") {
      if (data.status === 401) onUnauthorized();
      return;
    }
    if (data.type === "conversation" && data.conversation) {
      if (data.conversation.id === selectedId) updateSelected(data.conversation);
      scheduleRefresh();
    } else if (data.type === "message" && data.message) {
      onLiveMessage(data.conversation_id || data.message.conversation_id, data.message);
    }
  }
  function scheduleWs() {
    clearTimeout(wsTimer);
    var delay = wsRetry;
    wsRetry = Math.min(wsRetry * 2, 10000);
    wsTimer = setTimeout(connectWs, delay);
  }

  function onLiveMessage(convId, m) {
    if (!convId) return;
    if (m.sender === "buyer" && typeof m.text === "string") lastPreview[convId] = m.text;
    if (convId === selectedId) {
      appendLine(m);
      return;
    }
    if (m.sender === "buyer" || m.sender === "bot") {
      unreadBy[convId] = (unreadBy[convId] || 0) + 1;
    }
    var known = queueData.waiting.concat(queueData.mine).some(function (c) { return c.id === convId; });
    if (known) renderQueue();
  }

  function startLive() {
    refreshQueue();
    loadQuick();
    connectWs();
    clearInterval(pollTimer);
    pollTimer = setInterval(refreshQueue, 5000);
    clearInterval(tickTimer);
    tickTimer = setInterval(tickWaits, 1000);
  }
  function stopLive() {
    clearInterval(pollTimer);
    clearInterval(tickTimer);
    clearTimeout(wsTimer);
    pollTimer = tickTimer = null;
    if (agentWs) {
      var s = agentWs;
      agentWs = null;
      try { s.close(); } catch (e) { /* 忽略 */ }
    }
  }

  // -- 启动 ---------------------------------------------------------------------------
  D.start(api, showDesk, showLogin);
})();
