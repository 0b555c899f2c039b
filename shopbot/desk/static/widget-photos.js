/* 买家挂件之一:发照片。
 * 输入框旁的「图片」按钮、在输入框里粘贴图片、把图片拖进对话框,都会把图片上传给客服台
 * (POST /api/buyer/photos,凭本会话的 resume 令牌,见 shopbot/desk/buyer_photos.py)。
 * 客服台检查内容、去掉位置信息后存下,照片像一句话一样从会话里回来显示;
 * 这里只先挡住明显不行的(不是图片、超过 10MB),并把客服台的提示显示给买家。
 * 挂件的各部分不单独载入:客服台把它们拼成一个 /widget.js(shopbot/desk/widget_bundle.py)。
 */
var PHOTO_MAX_BYTES = 10 * 1024 * 1024;
var PHOTO_TYPES = /^image\/(jpeg|png|webp|heic|heif)$/;

var photoBtn = el("button", "sb-photo", "图片");
photoBtn.id = "shopbot-photo";
photoBtn.type = "button";
photoBtn.title = "发送图片";
photoBtn.setAttribute("aria-label", "发送图片");
var photoInput = el("input");
photoInput.type = "file";
photoInput.accept = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif";
photoInput.multiple = true;
photoInput.hidden = true;
photoInput.id = "shopbot-photo-input";
foot.insertBefore(photoBtn, input);
foot.appendChild(photoInput);
style.textContent += "#shopbot-chat .sb-photo{flex:none;height:38px;padding:0 10px;border:1px solid #ddd;border-radius:19px;" +
  "background:#fff;color:#666;font:inherit;font-size:13px;cursor:pointer;}" +
  "#shopbot-chat .sb-photo:hover{border-color:#ff0036;color:#ff0036;}" +
  "#shopbot-chat .sb-photo:disabled{opacity:.5;cursor:default;}" +
  "#shopbot-chat.sb-dropping{outline:3px dashed #ff0036;outline-offset:-6px;}";

// 只在本页显示、不进会话记录的提示(上传失败的原因)。
function localNote(text) {
  var node = buildMessage({ sender: "system", text: text });
  list.appendChild(node);
  scrollToBottom();
}

function uploadPhoto(file) {
  if (!file) return;
  var heicByName = /\.(heic|heif)$/i.test(file.name || "");
  if (!PHOTO_TYPES.test(file.type || "") && !heicByName) {
    localNote("亲,只能发送 JPG、PNG、WebP 或 HEIC 格式的照片哦~");
    return;
  }
  if (file.size > PHOTO_MAX_BYTES) {
    localNote("亲,图片不能超过10MB哦,麻烦压缩一下或者截个图再发~");
    return;
  }
  if (!conversationId || !resumeToken) {
    localNote("正在连接客服,请稍后再发送图片哦~");
    connect();
    return;
  }
  photoBtn.disabled = true;
  fetch("/api/buyer/photos", {
    method: "POST",
    body: file,
    headers: { "X-Conversation-Id": conversationId, "X-Resume-Token": resumeToken, "X-Client-Id": newClientId(),
               "Content-Type": "application/octet-stream" }
  }).then(function (answer) {
    if (answer.ok) return null;
    return answer.json().then(function (body) { localNote(body && body.error ? body.error : "图片发送失败,请稍后再试"); },
                              function () { localNote("图片发送失败,请稍后再试"); });
  }, function () {
    localNote("网络不太好,图片没有发出去,请稍后再试哦~");
  }).then(function () { photoBtn.disabled = false; });
}

function uploadAll(files) {
  Array.prototype.slice.call(files || [], 0, 6).forEach(uploadPhoto);
}

photoBtn.addEventListener("click", function () { photoInput.click(); });
photoInput.addEventListener("change", function () {
  uploadAll(photoInput.files);
  photoInput.value = "";
});
input.addEventListener("paste", function (e) {
  var items = (e.clipboardData && e.clipboardData.files) || [];
  if (items.length) {
    e.preventDefault();
    uploadAll(items);
  }
});
panel.addEventListener("dragover", function (e) {
  e.preventDefault();
  panel.classList.add("sb-dropping");
});
panel.addEventListener("dragleave", function () { panel.classList.remove("sb-dropping"); });
panel.addEventListener("drop", function (e) {
  e.preventDefault();
  panel.classList.remove("sb-dropping");
  uploadAll(e.dataTransfer && e.dataTransfer.files);
});
