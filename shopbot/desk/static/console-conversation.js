/* 客服工作台之一:选中的会话。
 * 中栏的标题(账号、状态、原因、优先级)和操作(接入、交还机器人、结束会话)、聊天记录,
 * 右栏的会话摘要。聊天记录按消息 id 排序、去重;消息正文由 chat-render.js(ShopbotChat)画。
 * 状态与别的部分共用,见 console-base.js(window.ShopbotConsole)。
 * 安全:买家与客服写的文字、摘要、原因、账号名一律用 textContent 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var C = window.ShopbotConsole, S = C.state;
  var Chat = window.ShopbotChat;  // 与买家挂件共用:读帧、显示消息正文
  var INTENTS = D.INTENTS;  // 意图名 → 中文
  var $ = D.$, el = D.el, clear = D.clear, toast = D.toast, errorOf = D.errorOf;
  var api = C.api, PRIORITIES = C.PRIORITIES, STATES = C.STATES;

  function showChatError(text) {
    var box = $("chat-error");
    if (text) { box.textContent = text; box.hidden = false; }
    else { box.textContent = ""; box.hidden = true; }
  }

  function selectConversation(id, keepError) {
    var changed = id !== S.selectedId;
    S.selectedId = id;
    delete S.unreadBy[id];
    if (changed) {
      S.selectedConv = null;
      S.shownIds = {};
      clear($("transcript"));
      C.hideBreaches();
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
      if (id !== S.selectedId) return;
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
    if (!c || c.id !== S.selectedId) return;
    S.selectedConv = c;
    $("chat-account").textContent = C.accountText(c.account);
    var st = $("chat-state");
    st.textContent = (STATES[c.state] || c.state || "") + (c.state === "agent" && c.agent ? "(" + c.agent + ")" : "");
    st.className = "tag state-" + (c.state || "");
    $("chat-reason").textContent = c.reason ? "原因:" + C.reasonText(c.reason) : "";
    var pr = $("chat-priority");
    pr.textContent = c.priority && c.state === "waiting" ? C.priorityText(c.priority) : "";
    pr.className = "tag prio-" + (PRIORITIES[c.priority] ? c.priority : "normal");

    var mineNow = S.me && c.state === "agent" && c.agent === S.me.username;
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
    row("买家", C.accountText(c.account || s.account));
    row("状态", STATES[c.state] || c.state);
    row("转人工原因", C.reasonText(c.reason));
    row("优先级", C.priorityText(c.priority));
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
        row(C.ENTITY_NAMES[k] || k, typeof v === "object" ? JSON.stringify(v) : v);
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
    if (isNaN(id) || S.shownIds[id]) return;
    S.shownIds[id] = true;
    var sender = Chat.senderOf(m);
    var li = el("li", "line line-" + sender);
    li.setAttribute("data-id", String(id));

    var head = el("div", "line-head");
    var whoText = C.SENDERS[sender];
    if (sender === "agent" && m.author) whoText += " " + m.author;
    head.appendChild(el("span", "who", whoText));
    head.appendChild(el("span", "time", C.clock(m.created_at)));
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

  // -- 会话操作:接入、交还机器人、结束 -------------------------------------------------
  function conversationAction(action, doneText) {
    if (!S.selectedId) return;
    var id = S.selectedId;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/" + action).then(function (res) {
      if (res.ok) {
        toast(doneText);
        showChatError("");
        if (id === S.selectedId) updateSelected(res.data);
      } else {
        showChatError(errorOf(res, "操作失败"));
      }
      C.refreshQueue();
    });
  }
  $("hand-back").addEventListener("click", function () { conversationAction("hand-back", "已交还机器人"); });
  $("close-chat").addEventListener("click", function () {
    if (window.confirm("确定结束这个会话吗?")) conversationAction("close", "会话已结束");
  });
  $("chat-claim").addEventListener("click", function () {
    if (S.selectedId) C.claimConversation(S.selectedId, $("chat-claim"));
  });

  C.showChatError = showChatError;
  C.selectConversation = selectConversation;
  C.loadConversation = loadConversation;
  C.updateSelected = updateSelected;
  C.appendLine = appendLine;
})();
