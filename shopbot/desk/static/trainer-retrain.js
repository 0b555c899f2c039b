/* 训练台之一:重新训练与回滚。
 * 启动训练(可选即使变差也上线、交叉验证折数),每秒查一次进度并画进度条,结束后交给
 * trainer-report.js 显示报告;任务 id 存在本地,刷新页面后接着跟。回滚让机器人换回上一个模型。
 * 状态与别的部分共用,见 trainer-base.js(window.ShopbotTrainer)。
 * 安全:进度说明、错误信息一律用 textContent 插入,不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var T = window.ShopbotTrainer;
  var $ = D.$, has = D.has, toast = D.toast, errorOf = D.errorOf;
  var api = T.api, setResult = T.setResult;

  var JOB_STATES = { queued: "排队中", training: "训练中", evaluating: "评估中",
    deployed: "已完成", refused: "已完成", failed: "失败" };
  var JOB_KEY = "shopbot.trainer.job";

  var pollTimer = null;
  var pollingJob = null;

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
          T.showReport(res.data);
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
    if (finished(job.state)) T.showReport(job);
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

  T.stopPolling = stopPolling;
  T.resumeJob = resumeJob;
})();
