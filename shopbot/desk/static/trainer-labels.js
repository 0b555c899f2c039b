/* 训练台之一:标注。
 * 意图列表(下拉框里带中文名,也可以手动输入新意图名并检查格式)、保存一条样例
 * (POST /api/trainer/label,客服台先校验训练数据,答复变成一句话),以及右栏的“直接添加样例”。
 * 收件箱(trainer-inbox.js)逐条标注时也用这里的函数。
 * 状态与别的部分共用,见 trainer-base.js(window.ShopbotTrainer)。
 * 安全:意图名、错误信息一律用 textContent 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var T = window.ShopbotTrainer;
  var $ = D.$, el = D.el, clear = D.clear, errorOf = D.errorOf;
  var api = T.api, intentLabel = T.intentLabel, setResult = T.setResult;

  var NEW_INTENT = "__new__";
  var INTENT_NAME = /^[a-z][a-z0-9_]*$/;

  var intents = [];  // 训练数据里已有的意图名

  // -- 意图 ---------------------------------------------------------------------------
  function loadIntents() {
    return api("GET", "/api/trainer/intents").then(function (res) {
      if (!res.ok) return;
      intents = (Array.isArray(res.data) ? res.data : []).map(function (item) {
        if (typeof item === "string") return item;
        if (item && typeof item === "object") return Object.keys(item)[0];
        return null;
      }).filter(function (name) { return typeof name === "string" && name; });
      fillIntentSelect($("add-intent"));
    });
  }
  function fillIntentSelect(select) {
    var previous = select.value;
    clear(select);
    var placeholder = el("option", null, "请选择意图");
    placeholder.value = "";
    select.appendChild(placeholder);
    intents.forEach(function (name) {
      var zh = intentLabel(name);
      var option = el("option", null, zh ? name + "(" + zh + ")" : name);
      option.value = name;
      select.appendChild(option);
    });
    var fresh = el("option", null, "+ 新意图…(手动输入)");
    fresh.value = NEW_INTENT;
    select.appendChild(fresh);
    if (previous) select.value = previous;
  }
  // 选择“新意图”时显示输入框;返回读取所选意图的函数。
  function intentPicker(select, input) {
    select.addEventListener("change", function () {
      input.hidden = select.value !== NEW_INTENT;
      if (!input.hidden) input.focus();
    });
    return function () {
      if (select.value === NEW_INTENT) return input.value.trim();
      return select.value;
    };
  }
  function intentProblem(intent) {
    if (!intent) return "请先选择意图";
    if (!INTENT_NAME.test(intent)) return "意图名只能用小写字母、数字和下划线,并以字母开头";
    return null;
  }

  // -- 标注 ---------------------------------------------------------------------------
  // 把 POST /api/trainer/label 的答复变成一句话和样式。
  function describeLabel(res) {
    var d = res.data || {};
    if (res.ok && d.status === "added") return { text: "已添加到 " + (d.path || "训练数据"), kind: "ok", added: true };
    var detail = typeof d.detail === "string" ? d.detail : "";
    if (typeof d.validation_error === "string" && d.validation_error) {
      detail = (detail ? detail + "\n" : "") + d.validation_error;
    }
    if (d.status === "duplicate") return { text: "重复" + (detail ? ":" + detail : ""), kind: "warn" };
    if (d.status === "conflict") return { text: "冲突:" + detail, kind: "bad" };
    if (d.status === "invalid") return { text: "无效:" + detail, kind: "bad" };
    return { text: "保存失败:" + errorOf(res, "服务器错误(" + res.status + ")"), kind: "bad" };
  }
  function saveLabel(intent, text) {
    return api("POST", "/api/trainer/label", { intent: intent, text: text }).then(describeLabel);
  }

  // -- 直接添加样例 ---------------------------------------------------------------------
  var pickAddIntent = intentPicker($("add-intent"), $("add-new-intent"));
  $("add-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var result = $("add-result");
    var intent = pickAddIntent();
    var text = $("add-text").value.trim();
    var problem = intentProblem(intent) || (text ? null : "请输入买家的说法");
    if (problem) {
      setResult(result, problem, "bad");
      return;
    }
    var button = $("add-save");
    button.disabled = true;
    setResult(result, "保存中,正在校验训练数据…", "busy");
    saveLabel(intent, text).then(function (outcome) {
      button.disabled = false;
      setResult(result, outcome.text, outcome.kind);
      if (outcome.added) {
        $("add-text").value = "";
        T.loadInbox();  // 同样的话如果在收件箱里,会随之消失
      }
    });
  });

  T.loadIntents = loadIntents;
  T.fillIntentSelect = fillIntentSelect;
  T.intentPicker = intentPicker;
  T.intentProblem = intentProblem;
  T.saveLabel = saveLabel;
})();
