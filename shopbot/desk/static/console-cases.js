/* 客服工作台之一:售后申请。
 * 右栏的「售后申请」列出未办结的售后单(加急的在前,再按时间),每张有订单、商品、问题、
 * 买家的原话和照片、机器人按店铺规则给出的建议;客服可以按建议同意、改成别的处理方式同意、
 * 写明原因拒绝,或把已同意的标为办结。结果会由客服台发到买家的会话里。
 * 点「查看会话」打开这张单子来自的会话。文字一律经 textContent 显示。
 */
(function () {
  "use strict";

  var C = window.ShopbotConsole;
  var D = window.ShopbotDesk;
  var el = ShopbotChat.el;
  var STATE_NAMES = { collecting: "等买家发照片", waiting: "待审核", approved: "已同意,办理中" };
  var resolutions = [];

  function itemsText(items) {
    return (items || []).map(function (i) { return i.name + "×" + (i.qty || 1); }).join("、");
  }

  function decide(caseId, action, body) {
    C.api("POST", "/api/cases/" + caseId + "/" + action, body || {}).then(function (res) {
      if (!res.ok) { D.toast(D.errorOf(res, "操作失败")); return; }
      D.toast(action === "refuse" ? "已拒绝,买家会收到原因" : action === "finish" ? "已办结" : "已同意,买家会收到通知");
      refreshCases();
    });
  }

  function caseNode(c) {
    var node = el("li", "case" + (c.urgent ? " case-urgent" : ""));
    node.setAttribute("data-case", String(c.id));
    var head = el("div", "case-head");
    head.appendChild(el("span", "case-id", "#" + c.id));
    head.appendChild(el("span", "tag", c.problem_name || c.problem));
    if (c.urgent) head.appendChild(el("span", "tag tag-urgent", "加急"));
    head.appendChild(el("span", "tag", STATE_NAMES[c.state] || c.state));
    node.appendChild(head);
    node.appendChild(el("div", "case-line", C.accountText(c.account) + " · 订单 " + c.order_id));
    node.appendChild(el("div", "case-line", itemsText(c.items)));
    if (c.words) node.appendChild(el("div", "case-words", "“" + c.words + "”"));
    if (c.return_tracking) {
      node.appendChild(el("div", "case-line", "退回单号:" + (c.return_courier || "") + " " + c.return_tracking));
    }
    var photos = el("div", "case-photos");
    (c.photos || []).forEach(function (p) {
      var src = ShopbotChat.safeImageUrl(p.thumb_url), full = ShopbotChat.safeImageUrl(p.url);
      if (!src) return;
      var link = el("a");
      link.href = full || src;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      var img = el("img", "case-photo");
      img.alt = "买家照片";
      img.src = src;
      link.appendChild(img);
      photos.appendChild(link);
    });
    if (!photos.childNodes.length) photos.appendChild(el("span", "muted small", "还没有照片"));
    node.appendChild(photos);
    node.appendChild(el("div", "case-line", "建议处理:" + (c.proposal || "由客服决定")));

    var bar = el("div", "case-actions");
    if (c.conversation_id) {
      var open = el("button", "btn btn-ghost btn-small", "查看会话");
      open.type = "button";
      open.addEventListener("click", function () { C.selectConversation(c.conversation_id); });
      bar.appendChild(open);
    }
    if (c.state === "waiting") {
      var pick = el("select", "case-resolution");
      resolutions.forEach(function (r) {
        var option = el("option", null, r);
        option.value = r;
        if (r === c.proposal) option.selected = true;
        pick.appendChild(option);
      });
      var approve = el("button", "btn btn-primary btn-small", "同意");
      approve.type = "button";
      approve.addEventListener("click", function () { decide(c.id, "approve", { resolution: pick.value }); });
      var refuse = el("button", "btn btn-danger btn-small", "拒绝");
      refuse.type = "button";
      refuse.addEventListener("click", function () {
        var note = window.prompt("拒绝的原因(买家会看到):", "");
        if (note && note.trim()) decide(c.id, "refuse", { note: note.trim() });
      });
      bar.appendChild(pick);
      bar.appendChild(approve);
      bar.appendChild(refuse);
    } else if (c.state === "approved") {
      var finish = el("button", "btn btn-ghost btn-small", "办结");
      finish.type = "button";
      finish.addEventListener("click", function () { decide(c.id, "finish"); });
      bar.appendChild(finish);
    }
    node.appendChild(bar);
    return node;
  }

  function refreshCases() {
    return C.api("GET", "/api/cases").then(function (res) {
      if (!res.ok || !res.data) return;
      resolutions = res.data.resolutions || [];
      var listNode = document.getElementById("cases");
      listNode.textContent = "";
      res.data.cases.forEach(function (c) { listNode.appendChild(caseNode(c)); });
      document.getElementById("cases-count").textContent = String(res.data.cases.length);
      document.getElementById("cases-empty").hidden = res.data.cases.length > 0;
    });
  }

  C.refreshCases = refreshCases;
})();
