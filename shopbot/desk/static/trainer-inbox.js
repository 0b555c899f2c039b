/* 训练台之一:收件箱。
 * 机器人没听懂、把握不大、转了人工或被标记的买家原话(GET /api/trainer/inbox),
 * 每条带上原因、模型的猜测、前后文;选好正确的意图保存后,这条稍后从列表里移除。
 * 状态与别的部分共用,见 trainer-base.js(window.ShopbotTrainer)。
 * 安全:买家原话、机器人回复、意图名一律用 textContent / createTextNode 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var T = window.ShopbotTrainer, S = T.state;
  var REASONS = D.INBOX_REASONS;  // 收件箱原因 → 中文
  var $ = D.$, el = D.el, clear = D.clear, has = D.has, errorOf = D.errorOf;
  var api = T.api, intentLabel = T.intentLabel, num = T.num, setResult = T.setResult;

  function reasonText(code) { return has(REASONS, code) ? REASONS[code] : String(code); }
  function when(ts) {
    if (typeof ts !== "number" || ts <= 0) return "";
    return D.timeLabel(ts, false, "今天 ");
  }

  var inboxLoading = false;
  function loadInbox() {
    if (!S.me || inboxLoading) return Promise.resolve();
    inboxLoading = true;
    $("inbox-refresh").disabled = true;
    return api("GET", "/api/trainer/inbox").then(function (res) {
      inboxLoading = false;
      $("inbox-refresh").disabled = false;
      var err = $("inbox-error");
      if (!res.ok) {
        if (res.status !== 401 && res.status !== 403) {
          err.textContent = errorOf(res, "收件箱加载失败");
          err.hidden = false;
        }
        return;
      }
      err.hidden = true;
      renderInbox(Array.isArray(res.data) ? res.data : []);
    });
  }
  function updateInboxCount() {
    var n = $("inbox").querySelectorAll(".inbox-item:not(.done)").length;
    $("inbox-count").textContent = String(n);
    $("inbox-empty").hidden = $("inbox").children.length > 0;
  }
  function renderInbox(items) {
    var list = $("inbox");
    clear(list);
    items.forEach(function (item) {
      if (item && typeof item.text === "string") list.appendChild(inboxItem(item));
    });
    updateInboxCount();
  }
  function contextLine(who, text) {
    var line = el("div");
    line.appendChild(el("span", "ctx-who", who));
    line.appendChild(document.createTextNode(text));
    return line;
  }
  function inboxItem(item) {
    var li = el("li", "inbox-item");
    li.appendChild(el("div", "item-text", item.text));

    var meta = el("div", "item-meta");
    (Array.isArray(item.reasons) ? item.reasons : []).forEach(function (r) {
      meta.appendChild(el("span", "tag " + (r === "flagged" ? "tag-flag" : "tag-reason"), reasonText(r)));
    });
    if (typeof item.predicted_intent === "string" && item.predicted_intent) {
      var zh = intentLabel(item.predicted_intent);
      meta.appendChild(el("span", "tag tag-guess",
        "模型猜测:" + item.predicted_intent + (zh ? "(" + zh + ")" : "")));
    }
    if (typeof item.confidence === "number") {
      meta.appendChild(el("span", item.confidence < 0.6 ? "conf-low" : "", "置信度 " + num(item.confidence, 2)));
    }
    meta.appendChild(el("span", null, "出现 " + (typeof item.count === "number" ? item.count : 1) + " 次"));
    var seen = when(item.last_seen);
    if (seen) meta.appendChild(el("span", null, "最近 " + seen));
    li.appendChild(meta);

    var before = typeof item.before === "string" ? item.before : "";
    var after = typeof item.after === "string" ? item.after : "";
    if (before || after) {
      var ctx = el("div", "item-context");
      if (before) ctx.appendChild(contextLine("机器人之前说:", before));
      ctx.appendChild(contextLine("买家:", item.text));
      if (after) ctx.appendChild(contextLine("机器人回答:", after));
      li.appendChild(ctx);
    }

    var row = el("div", "item-label");
    var select = el("select", "intent-select label-intent");
    select.setAttribute("aria-label", "正确的意图");
    T.fillIntentSelect(select);
    var input = el("input", "new-intent label-new-intent");
    input.type = "text";
    input.placeholder = "新意图名,如 ask_gift_wrap";
    input.maxLength = 64;
    input.hidden = true;
    var pick = T.intentPicker(select, input);
    var button = el("button", "btn btn-primary btn-small label-save", "保存");
    button.type = "button";
    var result = el("span", "label-result");
    result.setAttribute("role", "status");
    row.appendChild(select);
    row.appendChild(input);
    row.appendChild(button);
    row.appendChild(result);
    li.appendChild(row);

    button.addEventListener("click", function () {
      var intent = pick();
      var problem = T.intentProblem(intent);
      if (problem) {
        setResult(result, problem, "bad");
        return;
      }
      button.disabled = select.disabled = input.disabled = true;
      setResult(result, "保存中,正在校验训练数据…", "busy");
      T.saveLabel(intent, item.text).then(function (outcome) {
        setResult(result, outcome.text, outcome.kind);
        if (outcome.added) {
          li.classList.add("done");
          updateInboxCount();
          // 留一会儿让训练师看到结果,再从列表里移除。
          setTimeout(function () { li.classList.add("leaving"); }, 2500);
          setTimeout(function () {
            if (li.parentNode) li.parentNode.removeChild(li);
            updateInboxCount();
          }, 3000);
        } else {
          button.disabled = select.disabled = input.disabled = false;
        }
      });
    });
    return li;
  }
  $("inbox-refresh").addEventListener("click", loadInbox);

  T.loadInbox = loadInbox;
})();
