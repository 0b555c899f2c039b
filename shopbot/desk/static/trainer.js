/* 机器人训练台。
 * 安全:买家原话、机器人回复、意图名、错误信息一律用 textContent / createTextNode 插入,
 * 不使用 innerHTML。
 */
(function () {
  "use strict";

  var JOB_STATES = { queued: "排队中", training: "训练中", evaluating: "评估中",
    deployed: "已完成", refused: "已完成", failed: "失败" };
  var NEW_INTENT = "__new__";
  var INTENT_NAME = /^[a-z][a-z0-9_]*$/;
  var JOB_KEY = "shopbot.trainer.job";

  var D = window.ShopbotDesk;
  var INTENTS = D.INTENTS;  // 意图名 → 中文
  var REASONS = D.INBOX_REASONS;  // 收件箱原因 → 中文
  var $ = D.$, el = D.el, clear = D.clear, has = D.has, toast = D.toast, errorOf = D.errorOf;
  var api = D.createApi({
    unauthorized: onUnauthorized,
    forbidden: function () { showForbidden(me); }
  });

  function intentLabel(name) { return has(INTENTS, name) ? INTENTS[name] : ""; }
  function reasonText(code) { return has(REASONS, code) ? REASONS[code] : String(code); }
  function num(x, digits) { return typeof x === "number" && isFinite(x) ? x.toFixed(digits === undefined ? 3 : digits) : "-"; }
  function when(ts) {
    if (typeof ts !== "number" || ts <= 0) return "";
    return D.timeLabel(ts, false, "今天 ");
  }

  // -- 状态 ---------------------------------------------------------------------------
  var me = null;
  var intents = [];
  var pollTimer = null;
  var pollingJob = null;

  function setResult(node, text, kind) {
    node.textContent = text || "";
    node.className = "label-result" + (kind ? " " + kind : "");
  }

  // -- 登录 ---------------------------------------------------------------------------
  function hideAll() {
    $("login-view").hidden = true;
    $("forbidden-view").hidden = true;
    $("trainer-view").hidden = true;
  }
  function showLogin() {
    me = null;
    stopPolling();
    hideAll();
    D.showLoginView();
  }
  function showUser(user) {
    $("userbox").hidden = false;
    $("current-user").textContent = user ? user.username + (user.role === "trainer" ? "(训练师)" : "") : "";
  }
  function showForbidden(user) {
    stopPolling();
    hideAll();
    if (user) showUser(user);
    $("forbidden-view").hidden = false;
    $("forbidden-detail").textContent = user
      ? "账号 " + user.username + " 不是训练师,不能使用训练台。请换训练师账号登录。"
      : "当前账号不是训练师,不能使用训练台。";
  }
  function enter(user) {
    me = user;
    if (user.role !== "trainer") {
      showForbidden(user);
      return;
    }
    hideAll();
    showUser(user);
    $("trainer-view").hidden = false;
    loadIntents().then(loadInbox);
    resumeJob();
  }
  function onUnauthorized() {
    if (me) D.sessionExpired(showLogin);
  }

  D.loginCard(api, enter);
  D.bindLogout(api, showLogin);

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

  // -- 收件箱 --------------------------------------------------------------------------
  var inboxLoading = false;
  function loadInbox() {
    if (!me || inboxLoading) return Promise.resolve();
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
    fillIntentSelect(select);
    var input = el("input", "new-intent label-new-intent");
    input.type = "text";
    input.placeholder = "新意图名,如 ask_gift_wrap";
    input.maxLength = 64;
    input.hidden = true;
    var pick = intentPicker(select, input);
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
      var problem = intentProblem(intent);
      if (problem) {
        setResult(result, problem, "bad");
        return;
      }
      button.disabled = select.disabled = input.disabled = true;
      setResult(result, "保存中,正在校验训练数据…", "busy");
      saveLabel(intent, item.text).then(function (outcome) {
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
        loadInbox();  // 同样的话如果在收件箱里,会随之消失
      }
    });
  });

  // -- 重新训练 --------------------------------------------------------------------------
  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
    pollingJob = null;
  }
  function finished(state) { return state === "deployed" || state === "refused" || state === "failed"; }

  function showProgress(job) {
    var bar = $("retrain-progress");
    var percent = Math.max(0, Math.min(100, typeof job.progress === "number" ? Math.round(job.progress) : 0));
    bar.hidden = false;
    bar.classList.toggle("finished", job.state === "deployed" || job.state === "refused");
    bar.classList.toggle("failed", job.state === "failed");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(percent));
    $("retrain-progress-fill").style.width = percent + "%";
    var label = has(JOB_STATES, job.state) ? JOB_STATES[job.state] : "训练中";
    $("retrain-progress-text").textContent = label + " " + percent + "%";
    $("retrain-message").textContent = typeof job.message === "string" ? job.message : "";
  }

  function poll(jobId) {
    pollingJob = jobId;
    api("GET", "/api/trainer/jobs/" + encodeURIComponent(jobId)).then(function (res) {
      if (pollingJob !== jobId) return;
      if (res.status === 404) {
        forgetJob();
        stopPolling();
        $("retrain-start").disabled = false;
        $("retrain-message").textContent = "训练任务已不存在(工作台可能重启过)";
        return;
      }
      if (res.status === 401 || res.status === 403) return;
      if (res.ok && res.data) {
        showProgress(res.data);
        if (finished(res.data.state)) {
          stopPolling();
          $("retrain-start").disabled = false;
          showReport(res.data);
          return;
        }
      }
      pollTimer = setTimeout(function () { poll(jobId); }, 1000);
    });
  }
  function follow(job) {
    stopPolling();
    try { localStorage.setItem(JOB_KEY, job.id); } catch (e) { /* 忽略 */ }
    $("retrain-start").disabled = !finished(job.state);
    showProgress(job);
    if (finished(job.state)) showReport(job);
    else pollTimer = setTimeout(function () { poll(job.id); }, 1000);
  }
  function forgetJob() {
    try { localStorage.removeItem(JOB_KEY); } catch (e) { /* 忽略 */ }
  }
  function resumeJob() {
    var id = null;
    try { id = localStorage.getItem(JOB_KEY); } catch (e) { id = null; }
    if (!id || !/^[0-9a-zA-Z_-]+$/.test(id)) return;
    api("GET", "/api/trainer/jobs/" + encodeURIComponent(id)).then(function (res) {
      if (res.ok && res.data && res.data.id) follow(res.data);
      else if (res.status === 404) forgetJob();
    });
  }

  $("retrain-start").addEventListener("click", function () {
    var button = $("retrain-start");
    var override = $("retrain-override").checked;
    var folds = parseInt($("retrain-folds").value, 10) || 0;
    button.disabled = true;
    $("retrain-report").hidden = true;
    $("retrain-message").textContent = "正在启动训练…";
    api("POST", "/api/trainer/retrain", { override: override, cross_validation_folds: folds }).then(function (res) {
      if (!res.ok || !res.data || !res.data.id) {
        button.disabled = false;
        $("retrain-message").textContent = "启动失败:" + errorOf(res, "服务器错误(" + res.status + ")");
        return;
      }
      if (res.data.override !== override) toast("已有训练任务在进行,正在显示它的进度");
      follow(res.data);
    });
  });

  function showReport(job) {
    var box = $("retrain-report");
    var verdict = $("retrain-verdict");
    var report = job.report && typeof job.report === "object" ? job.report : null;
    var message = typeof job.message === "string" ? job.message : "";
    if (job.state === "deployed") {
      verdict.textContent = "已上线" + (report && report.passed === false ? "(新模型较差,训练师确认覆盖)" : "");
      verdict.className = "verdict " + (report && report.passed === false ? "warn" : "ok");
    } else if (job.state === "refused") {
      verdict.textContent = "未上线:新模型更差";
      verdict.className = "verdict bad";
    } else {
      verdict.textContent = "失败:" + (message || "未知错误");
      verdict.className = "verdict bad";
    }

    var scores = $("retrain-scores");
    clear(scores);
    var rows = $("retrain-rows");
    clear(rows);
    var figure = $("retrain-confusion");
    figure.hidden = true;
    $("retrain-table").hidden = !report;
    if (report) {
      var f1 = el("div");
      f1.appendChild(document.createTextNode("宏平均 F1:"));
      f1.appendChild(el("span", "big", num(report.live_macro_f1) + " → " + num(report.candidate_macro_f1)));
      scores.appendChild(f1);
      scores.appendChild(el("div", "muted",
        "准确率 " + num(report.live_accuracy) + " → " + num(report.candidate_accuracy) +
        " · 测试样例 " + (typeof report.n === "number" ? report.n : "-") + " 条" +
        (typeof report.margin === "number" ? " · 允许下降 " + num(report.margin) : "")));
      var worse = Array.isArray(report.worse) ? report.worse : [];
      if (worse.length) scores.appendChild(el("div", "label-result bad", "变差的意图:" + worse.join("、")));

      var changes = (Array.isArray(report.changes) ? report.changes : []).filter(function (c) {
        return c && typeof c.intent === "string";
      }).slice();
      changes.sort(function (a, b) { return (Number(a.delta) || 0) - (Number(b.delta) || 0); });
      changes.forEach(function (c) {
        var delta = Number(c.delta) || 0;
        var isWorse = worse.indexOf(c.intent) >= 0 || delta < -1e-9;
        var tr = el("tr", "report-row" + (isWorse ? " worse" : delta > 1e-9 ? " better" : ""));
        var name = el("td");
        name.appendChild(document.createTextNode(c.intent));
        var zh = intentLabel(c.intent);
        if (zh) name.appendChild(el("span", "intent-zh", zh));
        tr.appendChild(name);
        tr.appendChild(el("td", "num", num(c.live_f1)));
        tr.appendChild(el("td", "num", num(c.candidate_f1)));
        tr.appendChild(el("td", "num delta", (delta > 0 ? "+" : "") + num(delta)));
        rows.appendChild(tr);
      });

      showCrossValidation(report.cross_validation, job.cross_validation_folds);

      if (report.confusion_matrix) {
        var url = "/api/trainer/jobs/" + encodeURIComponent(job.id) + "/confusion.png";
        var img = $("retrain-confusion-img");
        img.onerror = function () { figure.hidden = true; };
        img.src = url;
        $("retrain-confusion-link").href = url;
        figure.hidden = false;
      }
    }
    box.hidden = false;
  }

  // 交叉验证:每个意图在 N 折上的平均分,最差的排在前面(宏平均放最后)
  function showCrossValidation(table, folds) {
    var box = $("retrain-crossval");
    var rows = $("retrain-crossval-rows");
    clear(rows);
    box.hidden = !table || typeof table !== "object";
    if (box.hidden) return;
    $("retrain-crossval-title").textContent = "交叉验证(" + (Number(folds) || "-") + " 折,新训练数据)";
    var names = Object.keys(table).filter(function (name) {
      return table[name] && typeof table[name] === "object" && name !== "macro avg" &&
        name !== "weighted avg" && name !== "micro avg" && name !== "accuracy";
    });
    names.sort(function (a, b) { return (Number(table[a].f1) || 0) - (Number(table[b].f1) || 0); });
    if (table["macro avg"] && typeof table["macro avg"] === "object") names.push("macro avg");
    names.forEach(function (name) {
      var scores = table[name];
      var tr = el("tr", "report-row" + (name === "macro avg" ? " total" : ""));
      var cell = el("td");
      cell.appendChild(document.createTextNode(name === "macro avg" ? "宏平均" : name));
      var zh = name === "macro avg" ? "" : intentLabel(name);
      if (zh) cell.appendChild(el("span", "intent-zh", zh));
      tr.appendChild(cell);
      tr.appendChild(el("td", "num", num(scores.precision)));
      tr.appendChild(el("td", "num", num(scores.recall)));
      tr.appendChild(el("td", "num", num(scores.f1)));
      tr.appendChild(el("td", "num", typeof scores.support === "number" ? String(scores.support) : "-"));
      rows.appendChild(tr);
    });
  }

  // -- 回滚 ------------------------------------------------------------------------------
  $("rollback").addEventListener("click", function () {
    var button = $("rollback");
    var result = $("rollback-result");
    button.disabled = true;
    setResult(result, "回滚中…", "busy");
    api("POST", "/api/trainer/rollback").then(function (res) {
      button.disabled = false;
      if (res.ok && res.data && typeof res.data.model === "string") {
        var name = res.data.model.split(/[\\/]/).pop();
        setResult(result, "已回滚,线上模型:" + name, "ok");
      } else {
        setResult(result, "回滚失败:" + errorOf(res, "服务器错误(" + res.status + ")"), "bad");
      }
    });
  });

  // -- 启动 ------------------------------------------------------------------------------
  D.start(api, enter, showLogin);
})();
