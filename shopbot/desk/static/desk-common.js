/* 客服工作台与训练台共用的代码:标签、DOM 小工具、提示条、API 请求、登录卡片与登录/退出流程。
 * 只暴露一个全局对象 window.ShopbotDesk。
 * 标签(意图、转人工原因、收件箱原因)只有一张表:shopbot/desk/labels.yml,
 * 客服台以 /desk-labels.js(window.ShopbotLabels)发出,页面须在本文件之前载入它。
 * 安全:文字一律用 textContent 插入,不使用 innerHTML。
 * (widget.js 是给店铺页面嵌入的独立脚本,不依赖本文件。)
 */
(function (global) {
  "use strict";

  var LABELS = global.ShopbotLabels || {};
  function table(kind) { return Object.freeze(LABELS[kind] || {}); }
  var INTENTS = table("intents");                  // 意图名 → 中文
  var HANDOFF_REASONS = table("handoff_reasons");  // 转人工原因 → 中文
  var INBOX_REASONS = table("inbox_reasons");      // 收件箱原因 → 中文

  // -- DOM 小工具 -----------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function has(map, key) { return Object.prototype.hasOwnProperty.call(map, key); }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  // 时间戳(秒)→ "时:分[:秒]";不是今天的加上 "X月X日 ",是今天的加上 todayPrefix。
  function timeLabel(ts, withSeconds, todayPrefix) {
    var d = new Date(ts * 1000), now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes()) + (withSeconds ? ":" + pad(d.getSeconds()) : "");
    if (d.toDateString() === now.toDateString()) return (todayPrefix || "") + hm;
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
  }

  var toastTimer = null;
  function toast(text) {
    var t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 3000);
  }

  // -- API ---------------------------------------------------------------------------
  // 返回 api(method, path, body) → Promise<{ok, status, data}>,不会失败。
  // hooks.unauthorized():登录以外的请求得到 401 时调用;hooks.forbidden():得到 403 时调用。
  function createApi(hooks) {
    hooks = hooks || {};
    return function api(method, path, body) {
      var options = { method: method, credentials: "same-origin", headers: {} };
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      return fetch(path, options).then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (res.status === 401 && path !== "/api/login" && hooks.unauthorized) hooks.unauthorized();
          if (res.status === 403 && hooks.forbidden) hooks.forbidden();
          return { ok: res.ok, status: res.status, data: data };
        });
      }, function () {
        return { ok: false, status: 0, data: { error: "网络错误,请检查连接" } };
      });
    };
  }
  function errorOf(res, fallback) {
    return (res && res.data && typeof res.data.error === "string" && res.data.error) || fallback || "操作失败";
  }

  // -- 登录 ---------------------------------------------------------------------------
  // 显示登录卡片(页面自己的视图由调用方先隐藏)。
  function showLoginView() {
    $("userbox").hidden = true;
    $("login-view").hidden = false;
    setTimeout(function () { $("login-username").focus(); }, 0);
  }
  // 会话过期:回到登录卡片并说明原因。
  function sessionExpired(showLogin) {
    showLogin();
    $("login-error").textContent = "登录已过期,请重新登录";
  }
  // 登录卡片:在 #login-view 里建登录表单(标题、说明取自它的 data-title、data-subtitle),
  // 登录成功后清空密码并调用 onLogin(user)。工作台和训练台用同一张卡片。
  function loginCard(api, onLogin) {
    var view = $("login-view");
    clear(view);
    var form = el("form", "login-card");
    form.id = "login-form";
    form.setAttribute("autocomplete", "on");
    form.appendChild(el("h1", null, view.getAttribute("data-title") || "登录"));
    form.appendChild(el("p", "muted", view.getAttribute("data-subtitle") || ""));
    function field(name, type, label, autocomplete) {
      var labelNode = el("label", null, label);
      labelNode.htmlFor = "login-" + name;
      var input = el("input");
      input.id = "login-" + name;
      input.name = name;
      input.type = type;
      input.required = true;
      input.setAttribute("autocomplete", autocomplete);
      form.appendChild(labelNode);
      form.appendChild(input);
      return input;
    }
    var usernameBox = field("username", "text", "用户名", "username");
    var passwordBox = field("password", "password", "密码", "current-password");
    var errorBox = el("div", "login-error");
    errorBox.id = "login-error";
    errorBox.setAttribute("role", "alert");
    form.appendChild(errorBox);
    var button = el("button", "btn btn-primary btn-block", "登录");
    button.id = "login-submit";
    button.type = "submit";
    form.appendChild(button);
    view.appendChild(form);

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var username = usernameBox.value.trim();
      var password = passwordBox.value;
      errorBox.textContent = "";
      if (!username || !password) {
        errorBox.textContent = "请输入用户名和密码";
        return;
      }
      button.disabled = true;
      api("POST", "/api/login", { username: username, password: password }).then(function (res) {
        button.disabled = false;
        if (res.ok && res.data && res.data.username) {
          passwordBox.value = "";
          onLogin(res.data);
        } else {
          errorBox.textContent = errorOf(res, "登录失败");
        }
      });
    });
  }
  // 退出按钮:服务器答复后调用 onLogout()。
  function bindLogout(api, onLogout) {
    $("logout").addEventListener("click", function () {
      api("POST", "/api/logout").then(function () { onLogout(); });
    });
  }
  // 启动:已登录调用 onUser(user),否则 onGuest()。
  function start(api, onUser, onGuest) {
    api("GET", "/api/me").then(function (res) {
      if (res.ok && res.data && res.data.username) onUser(res.data);
      else onGuest();
    });
  }

  global.ShopbotDesk = Object.freeze({
    INTENTS: INTENTS,
    HANDOFF_REASONS: HANDOFF_REASONS,
    INBOX_REASONS: INBOX_REASONS,
    $: $,
    el: el,
    clear: clear,
    has: has,
    pad: pad,
    timeLabel: timeLabel,
    toast: toast,
    createApi: createApi,
    errorOf: errorOf,
    showLoginView: showLoginView,
    sessionExpired: sessionExpired,
    loginCard: loginCard,
    bindLogout: bindLogout,
    start: start
  });
})(window);
