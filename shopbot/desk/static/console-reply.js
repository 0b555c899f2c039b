/* 客服工作台之一:回复框。
 * 发送回复(Enter 发送,Shift+Enter 换行);客服台认为回复可能违反天猫规则时(422)列出提醒,
 * 客服可以修改,或确认后照发;右栏的快捷回复(搜索话术,点一条填进回复框)。
 * 状态与别的部分共用,见 console-base.js(window.ShopbotConsole)。
 * 安全:回复、规则提醒、话术一律用 textContent 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var C = window.ShopbotConsole, S = C.state;
  var $ = D.$, el = D.el, clear = D.clear, errorOf = D.errorOf;
  var api = C.api;

  var pendingConfirmText = null;  // 等客服确认照发的那条回复

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
    if (!S.selectedId) return;
    if (typeof text !== "string" || !text.trim()) {
      C.showChatError("回复内容不能为空");
      return;
    }
    var id = S.selectedId;
    var body = { text: text };
    if (confirm) body.confirm = true;
    $("reply-send").disabled = true;
    $("breach-confirm").disabled = true;
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/messages", body).then(function (res) {
      $("reply-send").disabled = false;
      $("breach-confirm").disabled = false;
      if (id !== S.selectedId) return;
      if (res.ok) {
        C.showChatError("");
        hideBreaches();
        if ($("reply-text").value === text) $("reply-text").value = "";
        if (res.data && res.data.message) C.appendLine(res.data.message);
        $("reply-text").focus();
      } else if (res.status === 422 && res.data && Array.isArray(res.data.breaches)) {
        C.showChatError("");
        showBreaches(res, text);
      } else {
        C.showChatError(errorOf(res, "发送失败"));
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

  C.hideBreaches = hideBreaches;
  C.loadQuick = loadQuick;
})();
