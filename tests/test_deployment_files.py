"""docker-compose.yml stays in step with what the code and Rasa's endpoints read."""
import re

import yaml

from shopbot import config


def compose(project_root):
    return yaml.safe_load((project_root / "docker-compose.yml").read_text(encoding="utf-8"))


def rasa_services(project_root):
    """Compose's Rasa replicas (rasa-1, rasa-2, ...); none found fails the test rather than passing it empty."""
    found = {name: service for name, service in compose(project_root)["services"].items() if name.startswith("rasa-")}
    assert found, "docker-compose.yml defines no rasa-N service"
    return found


def test_every_variable_rasas_production_endpoints_need_is_set_for_rasa(project_root):
    needed = set(re.findall(r"\$\{([A-Z_]+)\}", (project_root / "endpoints.production.yml").read_text()))
    for name, service in rasa_services(project_root).items():
        assert needed <= set(service["environment"]), (name, needed - set(service["environment"]))


def test_the_desk_gets_every_store_and_peer_it_needs_and_they_parse(project_root):
    env = compose(project_root)["services"]["desk"]["environment"]
    for key in ("DESK_DB_URL", "SHOP_DB_URL", "TRACKER_STORE_URL", "RASA_URL", "REDIS_URL", "DESK_SECRET",
                "RASA_TOKEN", "CHANNEL_TOKEN"):
        assert key in env, key
    cfg = config.load({k: str(v) for k, v in env.items()})
    assert cfg.desk_db_url.startswith("postgresql://") and cfg.redis_url.startswith("redis://")
    assert cfg.desk_host == "0.0.0.0"


def test_the_desks_balance_over_every_rasa_replica_as_run_cluster_does(project_root):
    """Each Rasa replica is listed for the desks, which send each message to the least busy
    one and switch every one on a deploy; behind one DNS name they would do neither."""
    env = compose(project_root)["services"]["desk"]["environment"]
    cfg = config.load({k: str(v) for k, v in env.items()})
    assert sorted(cfg.rasa_replica_urls) == sorted(f"http://{name}:5005" for name in rasa_services(project_root))
    assert cfg.rasa_url in cfg.rasa_replica_urls
    script = (project_root / "scripts" / "run_cluster.sh").read_text()
    assert 'RASA_REPLICA_URLS="$RASA_REPLICA_URLS"' in script


def test_the_topology_has_two_rasa_and_two_desk_replicas_behind_nginx(project_root):
    services = compose(project_root)["services"]
    assert len(rasa_services(project_root)) == 2
    assert services["desk"]["deploy"]["replicas"] == 2
    assert {"postgres", "redis", "action-server", "nginx"} <= set(services)
    assert all("endpoints.production.yml" in rasa["command"] for rasa in rasa_services(project_root).values())


def test_a_process_that_dies_is_restarted_as_run_cluster_does(project_root):
    services = compose(project_root)["services"]
    for name in ("rasa-1", "rasa-2", "action-server", "desk", "nginx"):
        assert services[name].get("restart") == "unless-stopped", name
    # A killed replica's conversation lock must expire before the desk gives up on Rasa (20 s).
    assert all(int(rasa["environment"]["TICKET_LOCK_LIFETIME"]) < 20 for rasa in rasa_services(project_root).values())
    script = (project_root / "scripts" / "run_cluster.sh").read_text()
    assert "TICKET_LOCK_LIFETIME:-10" in script


def test_a_trainers_deploy_reaches_the_rasa_containers_and_outlives_a_restart(project_root):
    services = compose(project_root)["services"]
    assert all("models:/app/models" in rasa["volumes"] for rasa in rasa_services(project_root).values())
    assert "models:/app/models" in services["desk"]["volumes"]  # the desk trains; Rasa loads the file
    assert "nlu-data:/app/data/nlu" in services["desk"]["volumes"]  # labels outlive the container
    # The newest model in the folder: models/live.tar.gz after a deploy.
    assert all("--model models " in rasa["command"] for rasa in rasa_services(project_root).values())
    script = (project_root / "scripts" / "run_cluster.sh").read_text()
    assert "--model models " in script


def test_every_server_runs_with_the_same_warning_filters(project_root):
    """make run, make run-cluster and the image keep third-party deprecation warnings out of the logs alike."""
    found = {name: re.findall(r"PYTHONWARNINGS:-([^}]+)}", (project_root / "scripts" / name).read_text())
             for name in ("run.sh", "run_cluster.sh")}
    found["Dockerfile"] = re.findall(r"PYTHONWARNINGS=(\S+)", (project_root / "Dockerfile").read_text())
    values = {value for settings in found.values() for value in settings}
    assert all(len(settings) == 1 for settings in found.values()) and len(values) == 1, found
    assert "ignore::DeprecationWarning" in values.pop().split(",")


def test_only_nginx_is_published_and_every_internal_peer_needs_its_token(project_root):
    services = compose(project_root)["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    for name, service in rasa_services(project_root).items():
        assert {"RASA_TOKEN", "ACTIONS_TOKEN", "CHANNEL_TOKEN"} <= set(service["environment"]), name
        assert "--enable-api" in service["command"] and "shopbot.rasa_ext" in service["command"], name
    assert "ACTIONS_TOKEN" in services["action-server"]["environment"]
    endpoints = yaml.safe_load((project_root / "endpoints.production.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["token"] == "${ACTIONS_TOKEN}"


def test_nginx_limits_each_address_and_tells_the_desks_who_it_is(project_root):
    for name in ("nginx.compose.conf", "nginx.conf.template"):
        text = (project_root / "deploy" / name).read_text(encoding="utf-8")
        for directive in ("limit_req_zone $binary_remote_addr", "limit_req zone=per_address",
                          "limit_conn connections", "proxy_set_header X-Forwarded-For $remote_addr"):
            assert directive in text, (name, directive)
    desk = compose(project_root)["services"]["desk"]["environment"]
    assert desk["DESK_PROXIES"] == "1"
    script = (project_root / "scripts" / "run_cluster.sh").read_text(encoding="utf-8")
    assert "DESK_PROXIES=1" in script and "@NGINX_RATE@" in script


def test_the_desks_share_one_photo_volume_and_nginx_lets_photos_through(project_root):
    services = yaml.safe_load((project_root / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    desk = services["desk"]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in desk["volumes"]}
    assert mounted.get(desk["environment"]["PHOTO_DIR"]) == "uploads"  # a named volume, not a container's disk
    for name in ("nginx.compose.conf", "nginx.conf.template"):
        conf = (project_root / "deploy" / name).read_text(encoding="utf-8")
        photos = conf[conf.index("location = /api/buyer/photos"):]
        photos = photos[:photos.index("}")]
        assert "client_max_body_size 10m" in photos and "proxy_request_buffering off" in photos
