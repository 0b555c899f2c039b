/* 客服工作台之一:实时连接与定时刷新。
 * 登录后连上 /ws/agent,把客服台推来的事件(会话变化、新消息)交给队列和会话两部分;
 * 断线后逐步放慢重连,连上后补上断线期间的消息。另外每 5 秒刷新队列、每秒走一次等待时长。
 * 状态与别的部分共用,见 console-base.js(window.ShopbotConsole)。
 */
(function () {
  "use strict";

  var D = window.ShopbotDesk;
  var C = window.ShopbotConsole, S = C.state;
  var Chat = window.ShopbotChat;  // 与买家挂件共用:读帧
  var $ = D.$;

  var agentWs = null;
  var wsRetry = 1000;
  var wsTimer = null;
  var pollTimer = null;
  var tickTimer = null;

  function setLive(on) {
    var s = $("live-status");
    s.textContent = on ? "● 实时" : "● 重连中…";
    s.classList.toggle("off", !on);
  }

  function connectWs() {
    if (!S.me || agentWs) return;
    clearTimeout(wsTimer);
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent";
    var socket;
    try { socket = new WebSocket(url); } catch (e) { scheduleWs(); return; }
    agentWs = socket;
    socket.onopen = function () {
      if (agentWs !== socket) return;
      wsRetry = 1000;
      setLive(true);
      C.refreshQueue();
      if (S.selectedId) C.loadConversation(S.selectedId);  // 补上断线期间的消息(按 id 去重)
    };
    socket.onmessage = function (event) {
      if (agentWs !== socket) return;
      // 同时到的几条事件合在一帧里,按顺序逐条处理
      Chat.eventsInFrame(event.data).forEach(onLiveEvent);
    };
    socket.onclose = function () {
      if (agentWs !== socket) return;
      agentWs = null;
      setLive(false);
      if (S.me) scheduleWs();
    };
  }
  function onLiveEvent(data) {
    if (data.type === "error") {
      if (data.status === 401) C.onUnauthorized();
      return;
    }
    if (data.type === "case") {
      C.refreshCases();
      return;
    }
    if (data.type === "conversation" && data.conversation) {
      if (data.conversation.id === S.selectedId) C.updateSelected(data.conversation);
      C.scheduleRefresh();
    } else if (data.type === "message" && data.message) {
      onLiveMessage(data.conversation_id || data.message.conversation_id, data.message);
    }
  }
  function scheduleWs() {
    clearTimeout(wsTimer);
    var delay = wsRetry;
    wsRetry = Math.min(wsRetry * 2, 10000);
    wsTimer = setTimeout(connectWs, delay);
  }

  function onLiveMessage(convId, m) {
    if (!convId) return;
    if (m.sender === "buyer" && typeof m.text === "string") S.lastPreview[convId] = m.text;
    if (convId === S.selectedId) {
      C.appendLine(m);
      return;
    }
    if (m.sender === "buyer" || m.sender === "bot") {
      S.unreadBy[convId] = (S.unreadBy[convId] || 0) + 1;
    }
    var known = S.queueData.waiting.concat(S.queueData.mine).some(function (c) { return c.id === convId; });
    if (known) C.renderQueue();
  }

  function startLive() {
    C.refreshQueue();
    C.refreshCases();
    C.loadQuick();
    connectWs();
    clearInterval(pollTimer);
    pollTimer = setInterval(C.refreshQueue, 5000);
    clearInterval(tickTimer);
    tickTimer = setInterval(C.tickWaits, 1000);
  }
  function stopLive() {
    clearInterval(pollTimer);
    clearInterval(tickTimer);
    clearTimeout(wsTimer);
    pollTimer = tickTimer = null;
    if (agentWs) {
      var s = agentWs;
      agentWs = null;
      try { s.close(); } catch (e) { /* 忽略 */ }
    }
  }

  C.startLive = startLive;
  C.stopLive = stopLive;
})();
