"""docker-compose.yml stays in step with what the code and Rasa's endpoints read."""
import re

import yaml

from shopbot import config


def compose(project_root):
    return yaml.safe_load((project_root / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_variable_rasas_production_endpoints_need_is_set_for_rasa(project_root):
    needed = set(re.findall(r"\$\{([A-Z_]+)\}", (project_root / "endpoints.production.yml").read_text()))
    rasa_env = set(compose(project_root)["services"]["rasa"]["environment"])
    assert needed <= rasa_env, needed - rasa_env


def test_the_desk_gets_every_store_and_peer_it_needs_and_they_parse(project_root):
    env = compose(project_root)["services"]["desk"]["environment"]
    for key in ("DESK_DB_URL", "SHOP_DB_URL", "TRACKER_STORE_URL", "RASA_URL", "REDIS_URL", "DESK_SECRET"):
        assert key in env, key
    cfg = config.load({k: str(v) for k, v in env.items()})
    assert cfg.desk_db_url.startswith("postgresql://") and cfg.redis_url.startswith("redis://")
    assert cfg.desk_host == "0.0.0.0" and cfg.rasa_url == "http://rasa:5005"


def test_the_topology_has_two_rasa_and_two_desk_replicas_behind_nginx(project_root):
    services = compose(project_root)["services"]
    assert services["rasa"]["deploy"]["replicas"] == 2
    assert services["desk"]["deploy"]["replicas"] == 2
    assert {"postgres", "redis", "action-server", "nginx"} <= set(services)
    assert "endpoints.production.yml" in services["rasa"]["command"]


def test_a_process_that_dies_is_restarted_as_run_cluster_does(project_root):
    services = compose(project_root)["services"]
    for name in ("rasa", "action-server", "desk", "nginx"):
        assert services[name].get("restart") == "unless-stopped", name
    # A killed replica's conversation lock must expire before the desk gives up on Rasa (20 s).
    assert int(services["rasa"]["environment"]["TICKET_LOCK_LIFETIME"]) < 20
    script = (project_root / "scripts" / "run_cluster.sh").read_text()
    assert "TICKET_LOCK_LIFETIME:-10" in script


def test_a_trainers_deploy_reaches_the_rasa_containers_and_outlives_a_restart(project_root):
    services = compose(project_root)["services"]
    assert "models:/app/models" in services["rasa"]["volumes"]
    assert "models:/app/models" in services["desk"]["volumes"]  # the desk trains; Rasa loads the file
    assert "nlu-data:/app/data/nlu" in services["desk"]["volumes"]  # labels outlive the container
    # The newest model in the folder: models/live.tar.gz after a deploy.
    assert "--model models " in services["rasa"]["command"]
    script = (project_root / "scripts" / "run_cluster.sh").read_text()
    assert "--model models " in script
