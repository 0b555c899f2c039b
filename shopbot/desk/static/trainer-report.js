/* 训练台之一:训练报告。
 * 训练结束后显示结论(已上线、未上线、失败),新旧模型的宏平均 F1 与准确率、各意图的变化
 * (变差的标红),交叉验证的各意图平均分,以及新模型的混淆矩阵图。
 * 状态与别的部分共用,见 trainer-base.js(window.ShopbotTrainer)。
 * 安全:意图名、错误信息一律用 textContent / createTextNode 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var T = window.ShopbotTrainer;
  var $ = D.$, el = D.el, clear = D.clear;
  var intentLabel = T.intentLabel, num = T.num;

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

  T.showReport = showReport;
})();
