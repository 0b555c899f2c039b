"""The shop's data layer on SQLite (default) and on this machine's PostgreSQL."""
import csv
import json
import shutil
import uuid

import pytest
import sqlalchemy as sa

from shopbot.shop.store import ShopStore

pytestmark = pytest.mark.local_services

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    name = f"shopbot_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def shop_dir(project_root, tmp_path):
    copy = tmp_path / "shop"
    shutil.copytree(project_root / "shop", copy)
    return copy


def test_catalog_and_orders_load_from_the_merchants_files(db_url, shop_dir):
    store = ShopStore(db_url)
    assert store.sync_from_files(shop_dir) is True
    assert len(store.products()) >= 40
    mango = store.product("芒果干")
    assert mango is not None and mango.price > 0
    orders = json.loads((shop_dir / "orders.json").read_text(encoding="utf-8"))["orders"]
    assert len(orders) >= 100
    assert len({o["account"] for o in orders}) >= 5


def test_a_stock_change_in_the_files_shows_after_a_reload_without_retraining(db_url, shop_dir):
    store = ShopStore(db_url)
    store.sync_from_files(shop_dir)
    assert store.sync_from_files(shop_dir) is False  # unchanged files are not reloaded
    catalog = shop_dir / "catalog.csv"
    with catalog.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["name"] == "芒果干":
            row["stock"] = "7"
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    restarted = ShopStore(db_url)  # what an action-server restart does
    assert restarted.sync_from_files(shop_dir) is True
    assert restarted.product("芒果干").stock == 7


def test_an_order_is_only_returned_to_the_account_that_placed_it(db_url, shop_dir):
    store = ShopStore(db_url)
    store.sync_from_files(shop_dir)
    orders = json.loads((shop_dir / "orders.json").read_text(encoding="utf-8"))["orders"]
    order = orders[0]
    other = next(o["account"] for o in orders if o["account"] != order["account"])
    assert store.order(order["order_id"], order["account"])["order_id"] == order["order_id"]
    assert store.order(order["order_id"], other) is None
    assert store.order(order["order_id"], "") is None
    assert all(o["account"] == other for o in store.orders_of(other))


def test_order_numbers_are_data_not_sql(db_url, shop_dir):
    store = ShopStore(db_url)
    store.sync_from_files(shop_dir)
    assert store.order("' OR '1'='1", "tb_lily") is None
    assert store.orders_of("tb_lily' --") == []
