"""The shop's data (catalog and orders), the only module that speaks SQL.

The merchant's files (catalog.csv, orders.json) are loaded into the database
whenever they changed since the last load, so editing the catalog and restarting
the action server is all it takes. SQLite by default; the same code runs on
PostgreSQL when SHOP_DB_URL points there.

Privacy is enforced here, not in the actions: an order is only ever returned
together with the account that owns it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from shopbot.shop import files, order_events

ORDERS_FILE = "orders.json"

metadata = sa.MetaData()

products_table = sa.Table(
    "shop_products", metadata,
    sa.Column("sku", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("aliases", sa.Text, nullable=False, default=""),
    sa.Column("category", sa.String(50)),
    sa.Column("price", sa.Numeric(10, 2, asdecimal=False), nullable=False),  # read as float, as used
    sa.Column("stock", sa.Integer, nullable=False),
    sa.Column("production_date", sa.Date),
    sa.Column("shelf_life_days", sa.Integer),
    sa.Column("storage", sa.Text),
    sa.Column("specs", sa.Text),
    sa.Column("origin", sa.String(50)),
    sa.Column("restock_date", sa.Date),
    sa.Column("ingredients", sa.Text),
    sa.Column("usage", sa.Text),
    sa.Column("tags", sa.Text),
)

orders_table = sa.Table(
    "shop_orders", metadata,
    sa.Column("order_id", sa.String(32), primary_key=True),
    sa.Column("account", sa.String(100), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.String(40)),
    sa.Column("document", sa.Text, nullable=False),  # the order as the merchant exported it
)

# The order events the shop's backend sent (shopbot.shop.order_events): each once, by its id,
# and applied again over the orders whenever orders.json is loaded afresh.
order_events_table = sa.Table(
    "shop_order_events", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(32), nullable=False, index=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
)

meta_table = sa.Table(
    "shop_meta", metadata,
    sa.Column("key", sa.String(50), primary_key=True),
    sa.Column("value", sa.Text),
)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    aliases: List[str]
    category: str
    price: float
    stock: int
    production_date: Optional[date]
    shelf_life_days: Optional[int]
    storage: str
    specs: str
    origin: str
    restock_date: Optional[date]
    ingredients: str
    usage: str
    tags: List[str]

    def expiry_date(self) -> Optional[date]:
        if self.production_date and self.shelf_life_days:
            from datetime import timedelta

            return self.production_date + timedelta(days=self.shelf_life_days)
        return None


@dataclass(frozen=True)
class EventOutcome:
    """What became of an order event: its result, and the order before and after it (when applied)."""

    result: str
    before: Optional[Dict[str, Any]] = None
    after: Optional[Dict[str, Any]] = None


class _UnknownOrder(Exception):
    """An event for an order the shop's data does not hold: the transaction keeps nothing."""


def _date(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _product(row: Any) -> Product:
    return Product(
        sku=row.sku, name=row.name, aliases=files.split_list(row.aliases),
        category=row.category or "", price=float(row.price), stock=int(row.stock),
        production_date=row.production_date, shelf_life_days=row.shelf_life_days,
        storage=row.storage or "", specs=row.specs or "", origin=row.origin or "",
        restock_date=row.restock_date, ingredients=row.ingredients or "",
        usage=row.usage or "", tags=files.split_list(row.tags),
    )


class ShopStore:
    """Catalog and orders over one SQLAlchemy engine."""

    def __init__(self, db_url: str):
        if db_url.startswith("sqlite:///"):
            Path(db_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(db_url, future=True, pool_pre_ping=True)
        metadata.create_all(self.engine)

    # -- loading the merchant's files -----------------------------------------
    def sync_from_files(self, shop_dir: Path) -> bool:
        """Load catalog.csv and orders.json if they changed; True if anything was loaded."""
        digest = files.files_digest(shop_dir, [files.CATALOG_FILE, ORDERS_FILE])
        try:
            return self._load(shop_dir, digest)
        except sa.exc.IntegrityError:
            # Another replica loaded the same files at the same moment.
            return False

    def _load(self, shop_dir: Path, digest: str) -> bool:
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "files_digest")
            ).scalar()
            if current == digest:
                return False
            conn.execute(products_table.delete())
            conn.execute(orders_table.delete())
            catalog = files.read_catalog(shop_dir)
            if catalog:
                conn.execute(products_table.insert(), [_product_row(r) for r in catalog])
            orders = _read_orders(Path(shop_dir) / ORDERS_FILE)
            if orders:
                conn.execute(orders_table.insert(), [
                    {"order_id": str(o["order_id"]), "account": o["account"], "status": o["status"],
                     "created_at": o.get("created_at"), "document": json.dumps(o, ensure_ascii=False)}
                    for o in orders
                ])
            for stored in conn.execute(sa.select(order_events_table.c.body)
                                       .order_by(order_events_table.c.received_at, order_events_table.c.id)):
                self._apply(conn, order_events.parse_event(json.loads(stored.body)))
            conn.execute(meta_table.delete().where(meta_table.c.key == "files_digest"))
            conn.execute(meta_table.insert(), {"key": "files_digest", "value": digest})
        return True

    def unpaid_orders(self) -> List[Dict[str, Any]]:
        """Every order still waiting for its payment, oldest first (the reminders read them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(orders_table.c.document).where(orders_table.c.status == "unpaid")
                                .order_by(orders_table.c.created_at)).scalars().all()
        return [json.loads(doc) for doc in rows]

    def add_service_note(self, order_id: str, note: Dict[str, Any]) -> None:
        """A line on the order of what the service did (催付 at a time, by the bot), for agents and
        for the shop's own records."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(orders_table.c.document).where(orders_table.c.order_id == order_id)).first()
            if row is None:
                return
            order = json.loads(row.document)
            order.setdefault("service_notes", []).append(note)
            conn.execute(orders_table.update().where(orders_table.c.order_id == order_id)
                         .values(document=json.dumps(order, ensure_ascii=False)))

    # -- order events ---------------------------------------------------------------
    def record_event(self, event: "order_events.OrderEvent", body: Dict[str, Any]) -> "EventOutcome":
        """Keep and apply one event. Its result: "applied" (with the order before and after),
        "duplicate" (its id was seen: nothing changes) or "unknown_order" (not kept: no order of
        that number, and the event does not create one)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(order_events_table.insert(), {
                    "id": event.id, "order_id": event.order_id, "type": event.type[len("order."):],
                    "at": event.at_text, "body": json.dumps(body, ensure_ascii=False), "received_at": time.time()})
                before, after = self._apply(conn, event)
                if after is None:
                    raise _UnknownOrder()
        except _UnknownOrder:
            return EventOutcome("unknown_order")
        except sa.exc.IntegrityError:
            return EventOutcome("duplicate")
        return EventOutcome("applied", before, after)

    @staticmethod
    def _apply(conn, event: "order_events.OrderEvent"):
        """The event applied to its order in the database: the order (None if new) and the order after
        (None when there is no such order)."""
        row = conn.execute(sa.select(orders_table.c.document)
                           .where(orders_table.c.order_id == event.order_id)).first()
        if row is None:
            if event.type != "order.created":
                return None, None
            order = order_events.new_order(event)
            conn.execute(orders_table.insert(), {
                "order_id": event.order_id, "account": order["account"], "status": order["status"],
                "created_at": order.get("created_at"), "document": json.dumps(order, ensure_ascii=False)})
            return None, order
        before = json.loads(row.document)
        order = order_events.applied(before, event)
        conn.execute(orders_table.update().where(orders_table.c.order_id == event.order_id).values(
            status=order["status"], document=json.dumps(order, ensure_ascii=False)))
        return before, order

    # -- catalog -----------------------------------------------------------------
    def products(self) -> List[Product]:
        with self.engine.connect() as conn:
            return [_product(r) for r in conn.execute(
                sa.select(products_table).order_by(products_table.c.sku))]

    def product(self, name: str) -> Optional[Product]:
        """A product by its canonical name (the NLU maps aliases to it)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(products_table).where(products_table.c.name == name)).first()
        return _product(row) if row else None

    def product_by_sku(self, sku: str) -> Optional[Product]:
        """A product by its code (the widget's product page)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(products_table).where(products_table.c.sku == sku)).first()
        return _product(row) if row else None

    # -- orders --------------------------------------------------------------------
    def orders_of(self, account: str) -> List[Dict[str, Any]]:
        """The account's own orders, newest first."""
        if not account:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(orders_table.c.document)
                .where(orders_table.c.account == account)
                .order_by(orders_table.c.created_at.desc())
            ).scalars().all()
        return [json.loads(doc) for doc in rows]

    def order(self, order_id: str, account: str) -> Optional[Dict[str, Any]]:
        """The order only if `account` placed it; None for unknown and for others' orders alike."""
        if not (order_id and account):
            return None
        with self.engine.connect() as conn:
            doc = conn.execute(
                sa.select(orders_table.c.document).where(
                    (orders_table.c.order_id == str(order_id)) & (orders_table.c.account == account))
            ).scalar()
        return json.loads(doc) if doc else None


def _product_row(row: Dict[str, str]) -> Dict[str, Any]:
    return {
        "sku": row["sku"], "name": row["name"], "aliases": row.get("aliases", ""),
        "category": row.get("category"), "price": float(row["price"]),
        "stock": int(row.get("stock") or 0), "production_date": _date(row.get("production_date")),
        "shelf_life_days": int(row["shelf_life_days"]) if row.get("shelf_life_days") else None,
        "storage": row.get("storage"), "specs": row.get("specs"), "origin": row.get("origin"),
        "restock_date": _date(row.get("restock_date")), "ingredients": row.get("ingredients"),
        "usage": row.get("usage"), "tags": row.get("tags"),
    }


def _read_orders(path: Path) -> List[Dict[str, Any]]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise files.ShopFileError(f"{path} is not valid JSON: {error}") from error
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list):
        raise files.ShopFileError(f'{path} should be {{"orders": [...]}}')
    for order in orders:
        if not (order.get("order_id") and order.get("account") and order.get("status")):
            raise files.ShopFileError(f"{path}: every order needs order_id, account and status")
    return orders


def now_from(config_now: Optional[datetime]) -> datetime:
    """The shop's 'now' (Beijing time), pinned by SHOP_NOW in demos and tests."""
    from datetime import timezone, timedelta

    beijing = timezone(timedelta(hours=8))
    if config_now is not None:
        return config_now if config_now.tzinfo else config_now.replace(tzinfo=beijing)
    return datetime.now(beijing)
