/* 训练台之一:各部分共用的名字空间 window.ShopbotTrainer(状态、api、几个显示用的小函数)。
 *
 * 训练台分成几个文件,各管一件事,在 trainer.html 里按这个顺序载入(在 /desk-labels.js、
 * desk-common.js 之后):
 *   trainer-base.js     本文件:共用的状态、api、意图的中文名、数字格式、结果提示
 *   trainer-labels.js   标注:意图列表与选择、保存一条样例(收件箱和“直接添加样例”共用)
 *   trainer-inbox.js    收件箱:机器人没把握的买家原话,逐条标注
 *   trainer-report.js   训练报告:新旧模型对比、交叉验证、混淆矩阵
 *   trainer-retrain.js  重新训练(启动、跟进度、刷新页面后接着跟)与回滚
 *   trainer-login.js    登录、非训练师的提示、退出与启动,最后载入
 * 各部分只通过 ShopbotTrainer 互相调用(T.loadInbox() 之类)、共用状态(T.state),
 * 训练台不再新增别的全局名字。
 * 安全:买家原话、机器人回复、意图名、错误信息一律用 textContent / createTextNode 插入,
 * 不使用 innerHTML。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var INTENTS = D.INTENTS;  // 意图名 → 中文
  var has = D.has;

  function intentLabel(name) { return has(INTENTS, name) ? INTENTS[name] : ""; }
  function num(x, digits) { return typeof x === "number" && isFinite(x) ? x.toFixed(digits === undefined ? 3 : digits) : "-"; }

  function setResult(node, text, kind) {
    node.textContent = text || "";
    node.className = "label-result" + (kind ? " " + kind : "");
  }

  var T = window.ShopbotTrainer = {
    intentLabel: intentLabel,
    num: num,
    setResult: setResult,
    // 登录以外的请求得到 401 时回到登录卡片,403 时说明不是训练师(两者都在 trainer-login.js)
    api: D.createApi({
      unauthorized: function () { T.onUnauthorized(); },
      forbidden: function () { T.showForbidden(T.state.me); }
    }),
    // 各部分共用的状态
    state: {
      me: null  // 登录的账号
    }
  };
})();
