/* 客服工作台之一:登录、退出与启动,最后载入(它用到其余各部分)。
 * 登录卡片与登录流程来自 desk-common.js;这里决定显示登录卡片还是工作台,
 * 登录后开始实时连接,退出或登录过期时停下。
 * 状态与别的部分共用,见 console-base.js(window.ShopbotConsole)。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var C = window.ShopbotConsole, S = C.state;
  var $ = D.$;
  var api = C.api;

  function showLogin() {
    S.me = null;
    S.lastRendered = "";
    $("desk-view").hidden = true;
    D.showLoginView();
    C.stopLive();
  }
  function showDesk(user) {
    if (user.role !== "agent" && user.role !== "admin") {
      // 训练师不能接待买家:留在登录页,说明原因
      api("POST", "/api/logout");
      showLogin();
      $("login-error").textContent = "账号 " + user.username + " 不是客服,不能使用客服工作台。";
      return;
    }
    S.me = user;
    $("login-view").hidden = true;
    $("desk-view").hidden = false;
    $("userbox").hidden = false;
    $("current-user").textContent = user.username;
    C.startLive();
  }
  function onUnauthorized() {
    if (S.me) D.sessionExpired(showLogin);
  }
  C.onUnauthorized = onUnauthorized;

  D.loginCard(api, showDesk);
  D.bindLogout(api, function () {
    S.selectedId = null;
    S.selectedConv = null;
    $("chat").hidden = true;
    $("chat-placeholder").hidden = false;
    showLogin();
  });

  // -- 启动 ---------------------------------------------------------------------------
  D.start(api, showDesk, showLogin);
})();
