"""Trainers' endpoints on the desk: inbox, flags, labelling, retraining.

Trainer role required (agents may flag messages for the trainers). The desk
process runs in the project directory, so labels land in data/nlu.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sanic import Blueprint, Request, response

from shopbot.desk.auth import login_required, may
from shopbot.desk.off_loop import in_thread
from shopbot.desk.web import body_of, json_error
from shopbot.training.examples import add_validated, existing_examples
from shopbot.training.inbox import build_inbox, flags_to_resolve
from shopbot.training.retrain import DeployFailed, rollback


@lru_cache(maxsize=4)
def tracker_engine(url: str) -> sa.engine.Engine:
    """Rasa's tracker store, read (in a thread) for the inbox."""
    return sa.create_engine(url)


def trainer_blueprint() -> Blueprint:
    bp = Blueprint("trainer", url_prefix="/api/trainer")
    project = Path.cwd()

    @bp.get("/inbox")
    @login_required("trainer")
    async def inbox(request: Request):
        # Reads every recent tracker and the training files: in a thread, buyers keep being answered.
        labelled = set(await in_thread(existing_examples, project / "data" / "nlu"))
        flags = await request.app.ctx.store.open_flags()
        items = await in_thread(build_inbox, tracker_engine(request.app.ctx.cfg.tracker_db_url), flags,
                                labelled=labelled)
        return response.json([i.as_dict() for i in items[:200]])

    @bp.get("/intents")
    @login_required("trainer")
    async def intents(request: Request):
        return response.json(await in_thread(_intents_of, project / "domain.yml"))

    @bp.post("/flags")
    @login_required()
    async def add_flag(request: Request):
        data = body_of(request)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return response.json({"error": "请提供要标记的消息"}, status=400)
        conversation_id, note = data.get("conversation_id"), data.get("note")
        await request.app.ctx.store.add_flag(text.strip()[:2000],
                                             conversation_id[:64] if isinstance(conversation_id, str) else None,
                                             request.ctx.user["username"], note[:2000] if isinstance(note, str) else None)
        return response.json({"ok": True})

    @bp.post("/label")
    @login_required("trainer")
    async def label(request: Request):
        data = body_of(request)
        intent, text = data.get("intent"), data.get("text")
        if not (isinstance(intent, str) and isinstance(text, str)):
            return response.json({"error": "需要 intent 和 text"}, status=400)
        results, error = await in_thread(add_validated, project, [(intent, text)])
        result = results[0]
        if result.status == "added":
            store = request.app.ctx.store
            await store.resolve_flags(flags_to_resolve(await store.open_flags(), text))
        body = {"status": result.status, "detail": result.detail, "intent": result.intent,
                "text": result.text, "path": str(result.path.relative_to(project)) if result.path else None}
        if error:
            body["validation_error"] = error
        return response.json(body, status=200 if result.status == "added" else 409)

    @bp.post("/retrain")
    @login_required("trainer")
    async def start_retrain(request: Request):
        data = body_of(request)
        override = data.get("override") is True
        if override and not may(request.ctx.user, "admin"):
            return json_error("只有管理员可以让未通过对比的模型上线", 403)
        folds = data.get("cross_validation_folds")
        job = request.app.ctx.retrain_jobs.start(override=override,
                         cross_validation_folds=folds if isinstance(folds, int) and not isinstance(folds, bool) else 0)
        return response.json(job.as_dict(), status=202)

    @bp.get("/jobs/<job_id>")
    @login_required("trainer")
    async def job_status(request: Request, job_id: str):
        job = request.app.ctx.retrain_jobs.get(job_id)
        if job is None:
            return response.json({"error": "没有这个训练任务"}, status=404)
        return response.json(job.as_dict())

    @bp.get("/jobs/<job_id>/confusion.png")
    @login_required("trainer")
    async def job_confusion(request: Request, job_id: str):
        job = request.app.ctx.retrain_jobs.get(job_id)
        name = (job.report or {}).get("confusion_matrix") if job else None
        if not name:
            return response.json({"error": "这个训练任务没有混淆矩阵"}, status=404)
        path = Path(name)
        if not path.is_absolute():
            path = project / path
        if not path.is_file():
            return response.json({"error": "混淆矩阵文件不存在"}, status=404)
        return await response.file(path, mime_type="image/png", headers={"Cache-Control": "no-store"})

    @bp.post("/rollback")
    @login_required("trainer")
    async def do_rollback(request: Request):
        try:
            cfg = request.app.ctx.cfg
            previous = await in_thread(rollback, cfg.rasa_replica_urls, project / "models", cfg.rasa_token)
        except DeployFailed as error:
            return response.json({"error": str(error)}, status=409)
        return response.json({"model": str(previous)})

    return bp


def _intents_of(domain_path: Path) -> list:
    """The domain's intents (parsing the whole domain is slow enough to keep off the loop)."""
    import yaml

    return yaml.safe_load(domain_path.read_text(encoding="utf-8")).get("intents") or []
