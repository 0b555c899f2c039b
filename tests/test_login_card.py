"""The one login card of the console and the trainer page (desk-common.js loginCard).

Run in node in a stand-in page (tests/js_page.py).
"""
import re

import pytest

from tests.js_page import STATIC, run_in_page, static_script

CARD = """
    var view = document.createElement("section");
    view.id = "login-view";
    view.setAttribute("data-title", "客服登录");
    view.setAttribute("data-subtitle", "登录后接待买家咨询");
    document.body.appendChild(view);
    var calls = [], users = [];
    function api(method, path, body) {
      calls.push([method, path, body]);
      var ok = body.password === "agentpass1";
      return Promise.resolve(ok ? {ok: true, status: 200, data: {username: body.username, role: "agent"}}
                                : {ok: false, status: 401, data: {error: "用户名或密码错误"}});
    }
    window.ShopbotDesk.loginCard(api, function (user) { users.push(user.username); });
    var $ = window.ShopbotDesk.$;
    function submit(username, password) {
      $("login-username").value = username;
      $("login-password").value = password;
      $("login-form").dispatch("submit");
      return new Promise(function (done) { setTimeout(done, 0); }).then(function () {
        return {error: $("login-error").textContent, password: $("login-password").value};
      });
    }
"""


def test_the_card_has_the_pages_title_and_the_fields_the_pages_use():
    card = run_in_page([static_script("desk-common.js")], CARD + """
        var form = $("login-form");
        return {
          parent: form.parentNode.id, cls: form.className,
          title: form.querySelector("h1").textContent, subtitle: form.querySelector("p").textContent,
          fields: form.querySelectorAll("input").map(function (i) { return [i.id, i.type, i.name]; }),
          labels: form.querySelectorAll("label").map(function (l) { return [l.htmlFor, l.textContent]; }),
          submit: [$("login-submit").type, $("login-submit").textContent],
          alert: $("login-error").getAttribute("role")
        };""")
    assert card == {
        "parent": "login-view", "cls": "login-card", "title": "客服登录", "subtitle": "登录后接待买家咨询",
        "fields": [["login-username", "text", "username"], ["login-password", "password", "password"]],
        "labels": [["login-username", "用户名"], ["login-password", "密码"]],
        "submit": ["submit", "登录"], "alert": "alert"}


def test_a_wrong_password_is_told_and_a_right_one_logs_in_and_clears_the_password():
    steps = run_in_page([static_script("desk-common.js")], CARD + """
        var seen = [];
        return submit("", "").then(function (r) { seen.push(r); return submit("alice", "wrong"); })
          .then(function (r) { seen.push(r); return submit(" alice ", "agentpass1"); })
          .then(function (r) { seen.push(r); return {seen: seen, calls: calls, users: users}; });""")
    assert steps["seen"] == [
        {"error": "请输入用户名和密码", "password": ""},
        {"error": "用户名或密码错误", "password": "wrong"},
        {"error": "", "password": ""}]
    assert steps["calls"] == [["POST", "/api/login", {"username": "alice", "password": "wrong"}],
                              ["POST", "/api/login", {"username": "alice", "password": "agentpass1"}]]
    assert steps["users"] == ["alice"]


@pytest.mark.parametrize("page", ["console.html", "trainer.html"])
def test_each_page_leaves_the_card_to_desk_common(page):
    html = (STATIC / page).read_text(encoding="utf-8")
    assert re.search(r'<section class="login-view" id="login-view" data-title="[^"]+" data-subtitle="[^"]+" hidden>'
                     r'</section>', html)
    assert "login-form" not in html and "login-username" not in html
