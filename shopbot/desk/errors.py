"""Every error a desk endpoint raises becomes the API's JSON shape, never an HTML page."""
from __future__ import annotations

import logging

from sanic import Request, Sanic
from sanic.exceptions import SanicException

from shopbot.desk.web import json_error

logger = logging.getLogger(__name__)

# What Sanic's own refusals mean for the person at the other end.
MESSAGES = {400: "请求格式不正确", 404: "not found", 405: "不支持这种请求", 413: "内容太大了",
            408: "请求超时了,请重试", 503: "服务暂时不可用,请稍后再试"}


def install(app: Sanic) -> None:
    @app.exception(Exception)
    async def as_json(request: Request, error: Exception):
        if isinstance(error, SanicException):
            status = getattr(error, "status_code", 500) or 500
            return json_error(MESSAGES.get(status, str(error) or "请求失败"), status)
        logger.exception("%s %s failed", request.method, request.path)
        return json_error("服务器出错了,请稍后再试", 500)
