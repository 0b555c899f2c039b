/* 训练台之一:登录、非训练师的提示、退出与启动,最后载入(它用到其余各部分)。
 * 登录卡片与登录流程来自 desk-common.js;这里决定显示登录卡片、“需要训练师权限”还是训练台,
 * 进入训练台时载入意图和收件箱,并接着跟进上次的训练任务。
 * 状态与别的部分共用,见 trainer-base.js(window.ShopbotTrainer)。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var T = window.ShopbotTrainer, S = T.state;
  var $ = D.$;
  var api = T.api;

  function hideAll() {
    $("login-view").hidden = true;
    $("forbidden-view").hidden = true;
    $("trainer-view").hidden = true;
  }
  function showLogin() {
    S.me = null;
    T.stopPolling();
    hideAll();
    D.showLoginView();
  }
  function showUser(user) {
    $("userbox").hidden = false;
    $("current-user").textContent = user ? user.username + ({trainer: "(训练师)", admin: "(管理员)"}[user.role] || "") : "";
  }
  function showForbidden(user) {
    T.stopPolling();
    hideAll();
    if (user) showUser(user);
    $("forbidden-view").hidden = false;
    $("forbidden-detail").textContent = user
      ? "账号 " + user.username + " 不是训练师,不能使用训练台。请换训练师账号登录。"
      : "当前账号不是训练师,不能使用训练台。";
  }
  function enter(user) {
    S.me = user;
    if (user.role !== "trainer" && user.role !== "admin") {
      showForbidden(user);
      return;
    }
    hideAll();
    showUser(user);
    // 变差也上线只有管理员(店主)能做
    $("retrain-override").checked = false;
    $("retrain-override-box").hidden = user.role !== "admin";
    $("trainer-view").hidden = false;
    T.loadIntents().then(T.loadInbox);
    T.resumeJob();
  }
  function onUnauthorized() {
    if (S.me) D.sessionExpired(showLogin);
  }
  T.onUnauthorized = onUnauthorized;
  T.showForbidden = showForbidden;

  D.loginCard(api, enter);
  D.bindLogout(api, showLogin);

  // -- 启动 ------------------------------------------------------------------------------
  D.start(api, enter, showLogin);
})();
