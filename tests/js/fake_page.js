"use strict";
/* A small stand-in for a browser page, so the desk's scripts can be run and checked in node
 * without a browser (tests/js_page.py drives it).
 *
 * Enough DOM for chat-render.js and the widget: elements with classes, attributes, text and
 * children; a selector matcher for "tag", ".a.b", ":not(.x)" and comma lists (no descendant
 * selectors); click listeners; a WebSocket whose frames the check delivers by hand.
 * innerHTML throws: the scripts must never put text into a page as markup.
 *
 * Input on stdin, JSON: {"scripts": [{"name", "source"}], "check": "<body of a function>",
 *                        "page": {"storage": {...}, "currentScript": {"src", "attributes"}}}.
 * The scripts run in order in one page, then the check; its return value (awaited when it is
 * a promise) is printed as JSON.
 */
const vm = require("vm");

class TextNode {
  constructor(text) { this.nodeType = 3; this.data = String(text); this.parentNode = null; }
  get textContent() { return this.data; }
  set textContent(value) { this.data = String(value); }
}

class Element {
  constructor(tag) {
    this.nodeType = 1;
    this.tagName = String(tag).toUpperCase();
    this.childNodes = [];
    this.parentNode = null;
    this.attributes = {};
    this.listeners = {};
    this.style = {};
    this.hidden = false;
    this.scrollTop = 0;
    this.scrollHeight = 0;
    this.clientHeight = 0;
    const self = this;
    this.classList = {
      contains(name) { return self.classNames().includes(name); },
      add(name) { if (!this.contains(name)) self.className = self.classNames().concat([name]).join(" "); },
      remove(name) { self.className = self.classNames().filter((c) => c !== name).join(" "); },
      toggle(name, force) {
        const on = force === undefined ? !this.contains(name) : !!force;
        if (on) this.add(name); else this.remove(name);
        return on;
      },
    };
  }
  classNames() { return (this.attributes.class || "").split(/\s+/).filter(Boolean); }
  get className() { return this.attributes.class || ""; }
  set className(value) { this.attributes.class = String(value); }
  get id() { return this.attributes.id || ""; }
  set id(value) { this.attributes.id = String(value); }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return Object.prototype.hasOwnProperty.call(this.attributes, name) ? this.attributes[name] : null; }
  removeAttribute(name) { delete this.attributes[name]; }
  get children() { return this.childNodes.filter((n) => n.nodeType === 1); }
  get firstChild() { return this.childNodes[0] || null; }
  get textContent() { return this.childNodes.map((n) => n.textContent).join(""); }
  set textContent(value) {
    this.childNodes.forEach((n) => { n.parentNode = null; });
    this.childNodes = value === "" ? [] : [new TextNode(value)];
    this.childNodes.forEach((n) => { n.parentNode = this; });
  }
  get innerHTML() { throw new Error("innerHTML read: the desk's scripts must not use it"); }
  set innerHTML(value) { throw new Error("innerHTML written: the desk's scripts must not use it"); }
  appendChild(node) { return this.insertBefore(node, null); }
  insertBefore(node, before) {
    if (node.parentNode) node.parentNode.removeChild(node);
    const at = before ? this.childNodes.indexOf(before) : -1;
    if (at < 0) this.childNodes.push(node); else this.childNodes.splice(at, 0, node);
    node.parentNode = this;
    return node;
  }
  removeChild(node) {
    this.childNodes = this.childNodes.filter((n) => n !== node);
    node.parentNode = null;
    return node;
  }
  addEventListener(type, listener) { (this.listeners[type] = this.listeners[type] || []).push(listener); }
  dispatch(type, extra) {
    const event = Object.assign({ type, target: this, preventDefault() {} }, extra || {});
    (this.listeners[type] || []).forEach((listener) => listener(event));
  }
  click() { this.dispatch("click"); }
  focus() {}
  descendants() {
    const found = [];
    this.children.forEach((child) => { found.push(child); found.push(...child.descendants()); });
    return found;
  }
  matches(selector) {
    return selector.split(",").some((one) => {
      let rest = one.trim();
      const not = [];
      rest = rest.replace(/:not\(\.([\w-]+)\)/g, (_, name) => { not.push(name); return ""; });
      const [tag, ...classes] = rest.split(".");
      if (tag && tag.toUpperCase() !== this.tagName) return false;
      return classes.every((c) => this.classList.contains(c)) && !not.some((c) => this.classList.contains(c));
    });
  }
  querySelectorAll(selector) { return this.descendants().filter((n) => n.matches(selector)); }
  querySelector(selector) { return this.querySelectorAll(selector)[0] || null; }
}

class FakeSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.opened.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
}
FakeSocket.opened = [];

function makePage(options) {
  options = options || {};
  const html = new Element("html");
  const head = html.appendChild(new Element("head"));
  const body = html.appendChild(new Element("body"));
  let current = null;
  if (options.currentScript) {
    current = new Element("script");
    Object.entries(options.currentScript.attributes || {}).forEach(([k, v]) => current.setAttribute(k, v));
    current.src = options.currentScript.src || "";
  }
  const stored = Object.assign({}, options.storage || {});
  const document = {
    documentElement: html, head, body, currentScript: current, title: "",
    createElement: (tag) => new Element(tag),
    createTextNode: (text) => new TextNode(text),
    addEventListener() {},
    getElementById: (id) => html.descendants().find((n) => n.id === id) || null,
    querySelector: (s) => html.querySelector(s),
    querySelectorAll: (s) => html.querySelectorAll(s),
  };
  const page = {
    document,
    location: { protocol: "https:", host: "shop.example", href: "https://shop.example/item/1" },
    localStorage: {
      getItem: (k) => (Object.prototype.hasOwnProperty.call(stored, k) ? stored[k] : null),
      setItem: (k, v) => { stored[k] = String(v); },
      removeItem: (k) => { delete stored[k]; },
    },
    WebSocket: FakeSocket,
    sockets: FakeSocket.opened,
    crypto: globalThis.crypto,
    URL, setTimeout, clearTimeout, setInterval, clearInterval,
    Node: Element,
  };
  page.window = page;
  return page;
}

// The check's return value, awaited when it is a promise.
async function main(job) {
  const page = vm.createContext(makePage(job.page));
  job.scripts.forEach((script) => vm.runInContext(script.source, page, { filename: script.name }));
  return vm.runInContext("(function () {\n" + job.check + "\n})()", page, { filename: "check" });
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  main(JSON.parse(input)).then((result) => {
    process.stdout.write(JSON.stringify(result === undefined ? null : result));
    process.exit(0);  // the page's own timers (reconnects, hints) need not run out
  }, (error) => {
    process.stderr.write((error && error.stack) || String(error));
    process.exit(1);
  });
});
