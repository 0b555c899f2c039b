"""Generate the sample shop's order export: shop/orders.json.

This is how the orders of the *sample* shop were produced. They are made up:
a real shop exports its own orders (from the Tmall / Qianniu back office or its
ERP) into the same JSON shape and never runs this script. The bot only reads
shop/orders.json; it does not know or care where the file came from.

The output is deterministic (fixed random seed, fixed clock), so re-running the
script gives a byte-identical file.

The "now" of the sample data is

    NOW = 2026-11-23T12:00:00+08:00

and every timestamp lies between 2026-10-25 and NOW. Dialogue tests that ask
"where is my order" should reason relative to that clock, not the real one.

The shop policy comes from shop/settings.yml when it is there (defaults in
brackets are used otherwise):

* postage: shipping.free_groups pay nothing, others pay shipping.surcharge
  [remote 15]; a courier upgrade the buyer asks for in the remark (顺丰, EMS;
  couriers.upgrades fees) is added to the postage; otherwise the parcel goes
  with couriers.default [中通];
* the warehouse (嘉兴) hands parcels over Monday-Saturday, 08:00-21:00, and
  transit times follow shipping.delivery_days per region group;
* scenario thresholds are checked against the settings: "overdue unshipped"
  orders were paid 3-5 days ago (promise 48 h), "stalled" parcels have had no
  event for 4-7 days (> logistics.stalled_after_days), "overdue" refunds were
  requested 5+ days ago (>= returns.refund_overdue_days), "recent" deliveries
  were signed within returns.no_reason_days (7), "old" ones 8+ days ago;
* invoices are issued only after the buyer confirms receipt (completed
  orders); before that they stay "requested".

Each order is built from a named *scenario* (unpaid, paid_overdue,
shipped_stalled, delivered_recent, refund_received_overdue, ...) so that a bot
can be tested on every situation; the per-account scenario lists below decide
which account has which situation. Buyer names and phones are masked the way
Taobao shows them to sellers.

Usage (from the project root):
    .venv/bin/python scripts/make_sample_orders.py
"""
from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "shop"
OUT = SHOP / "orders.json"

SEED = 20261123
TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
START = datetime(2026, 10, 25, 0, 0, tzinfo=TZ)

WAREHOUSE_CITY = "嘉兴市"
WAREHOUSE_HUB = "嘉兴转运中心"

# account -> list of addresses (name, region, city, address, phone, hub city
# on the way for far/remote destinations or None)
ACCOUNTS = {
    "tb_lily": [
        ("李*", "上海", "上海市", "浦东新区***路**号", "138****5678", None),
        ("李*", "北京", "北京市", "朝阳区***街道**号院*号楼", "138****5678", None),
    ],
    "tb_wang88": [
        ("王**", "广东", "深圳市", "南山区***路**号**栋", "139****2088", None),
    ],
    "小鱼儿2019": [
        ("余*", "四川", "成都市", "武侯区***街**号*单元", "186****3019", "西安市"),
        ("余*", "重庆", "重庆市", "渝北区***大道**号", "186****3019", "武汉市"),
    ],
    "tb_chen_mama": [
        ("陈**", "浙江", "杭州市", "西湖区***路**号**幢", "135****6621", None),
        ("陈**", "江苏", "苏州市", "工业园区***街**号", "135****6621", None),
    ],
    "吃货阿强": [
        ("张*", "新疆", "乌鲁木齐市", "天山区***路**号", "181****0937", "西安市"),
        ("张*", "湖北", "武汉市", "洪山区***路**号", "181****0937", None),
    ],
    "tb_zhou77": [
        ("周**", "西藏", "拉萨市", "城关区***路**号", "177****7707", "成都市"),
        ("周**", "江苏", "南京市", "鼓楼区***路**号", "177****7707", None),
    ],
    "sunny_day": [
        ("孙*", "内蒙古", "呼和浩特市", "赛罕区***街**号", "150****2468", "北京市"),
        ("孙*", "辽宁", "大连市", "沙河口区***路**号", "150****2468", "天津市"),
    ],
    "老李爱坚果": [
        ("李**", "山东", "青岛市", "市南区***路**号", "133****8899", None),
        ("李**", "黑龙江", "哈尔滨市", "南岗区***街**号", "133****8899", "沈阳市"),
    ],
}

# Which situations each account is in. Scenario names are explained in build().
# Optional second element: forced options (address index, invoice status, ...).
PLAN = {
    "tb_lily": [
        "unpaid", "closed_by_buyer", ("paid_fresh", {"price_cut_since": 4}), "paid_overdue",
        "shipped_fresh", ("shipped_fresh", {"addr": 1}), "shipped_stalled",
        ("delivered_recent", {"freight_insurance": True}), "delivered_old", ("completed", {"invoice": "issued"}),
        ("completed", {"addr": 1}), ("completed", {"invoice": "requested"}),
        "refund_requested_fresh", "refund_refunded", "refund_rejected_window",
    ],
    "tb_wang88": [
        "unpaid", "paid_fresh", ("paid_overdue", {"invoice": "requested"}),
        "shipped_fresh", ("shipped_fresh", {"sf": True}), "delivered_recent",
        "delivered_recent", ("completed", {"invoice": "vat_mailed"}), "completed",
        "completed", ("refund_requested_overdue", {"reason": "damaged"}), "refund_returning",
        "closed_refunded", "paid_refund_requested",
    ],
    "小鱼儿2019": [
        "unpaid", "closed_by_buyer", "paid_fresh", "shipped_fresh",
        "shipped_stalled", "delivered_recent", ("delivered_old", {"addr": 1}),
        "completed", ("completed", {"addr": 1}), "completed",
        "refund_received_overdue", "refund_returning", "refund_rejected",
        "shipped_refund_requested",
    ],
    "tb_chen_mama": [
        "unpaid", ("paid_fresh", {"invoice": "requested"}), "paid_overdue",
        "shipped_fresh", ("shipped_fresh", {"addr": 1}), "delivered_recent",
        ("delivered_recent", {"invoice": "requested"}), "delivered_old",
        ("completed", {"invoice": "paper_mailed"}), "completed", ("completed", {"addr": 1}),
        "refund_requested_fresh", ("refund_refunded", {"reason": "missing_item"}),
        ("refund_received", {"reason": "wrong_item"}), "closed_by_buyer",
    ],
    "吃货阿强": [
        "unpaid", "closed_by_buyer", "paid_overdue", "shipped_fresh",
        "shipped_stalled", ("shipped_stalled", {"ems": True}), "delivered_recent",
        "delivered_old", "completed", ("completed", {"addr": 1}),
        "refund_requested_overdue", ("refund_returning_overdue", {"reason": "wrong_item"}),
        ("refund_refunded", {"reason": "expired"}),
        "closed_refunded",
    ],
    "tb_zhou77": [
        "unpaid", "paid_fresh", "paid_overdue", ("shipped_fresh", {"ems": True}),
        "shipped_stalled", "delivered_recent", "delivered_old", "completed",
        ("completed", {"addr": 1}), "completed", "closed_by_buyer",
        ("shipped_fresh", {"addr": 1}), ("delivered_recent", {"addr": 1}),
        ("completed", {"addr": 1, "invoice": "issued"}),
    ],
    "sunny_day": [
        "unpaid", "paid_fresh", "shipped_fresh", ("shipped_fresh", {"addr": 1}),
        ("shipped_stalled", {"ems": True}), "delivered_recent",
        ("delivered_recent", {"addr": 1}), "delivered_old", "completed",
        ("completed", {"addr": 1, "invoice": "issued"}), "completed",
        "closed_by_buyer", ("unpaid", {"addr": 1}), ("paid_overdue", {"addr": 1}),
    ],
    "老李爱坚果": [
        "unpaid", "paid_fresh", "paid_overdue", "shipped_fresh",
        ("shipped_fresh", {"addr": 1, "sf": True}), "delivered_recent",
        ("delivered_old", {"addr": 1}), ("completed", {"invoice": "vat_mailed"}),
        "completed", ("completed", {"addr": 1}),
        ("refund_requested_overdue", {"reason": "missing_item"}),
        "refund_received_overdue", "refund_refunded", "closed_refunded",
        ("refund_requested_fresh", {"addr": 1}),
    ],
}

REMARKS = [
    "请尽快发货,急用", "不要放快递柜,放门卫就行", "送人的,请不要放价格单",
    "麻烦包装结实一点", "工作日白天家里没人,请放驿站", "帮忙挑日期新一点的",
    "到了打电话", "周末送货,谢谢",
]

COMPANIES = ["上海鲸选网络科技有限公司", "深圳市禾木贸易有限公司", "青岛海川食品有限公司"]

COURIER_SPEED = {"中通": 1.0, "顺丰": 0.6, "EMS": 1.0}
# transit hours per region group, within shipping.delivery_days (1-2, 2-3, 3-5, 5-8 days)
TRANSIT_HOURS = {"jiangzhehu": (18, 48), "near": (40, 70), "far": (72, 110), "remote": (120, 180)}
DEFAULT_SETTINGS = {
    "couriers": {"default": "中通", "upgrades": [{"name": "顺丰", "fee": 12}, {"name": "EMS", "fee": 8}]},
    "shipping": {"free_groups": ["jiangzhehu", "near", "far"], "surcharge": {"remote": 15}},
    "logistics": {"stalled_after_days": 3},
    "returns": {"no_reason_days": 7, "refund_overdue_days": 5},
    "dispatch": {"promise_hours": 48},
}
UPGRADE_REMARKS = {
    "顺丰": ["请发顺丰,差价已补", "能发顺丰吗?着急,运费已补"],
    "EMS": ["中通到我们这边很慢,请发邮政EMS", "请发邮政,差价已补"],
}

COURIER_NAMES = ["王", "刘", "赵", "黄", "马", "何", "郭", "杨"]
SIGNED = ["已签收,签收人:本人", "已签收,签收人:家人代签", "已签收,签收人:门卫代签",
          "已签收,快件已存放至快递柜,凭取件码取件", "已签收,快件已由菜鸟驿站代收"]


def ts(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:00+08:00")


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def load_catalog() -> list:
    with (SHOP / "catalog.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if int(r["stock"] or 0) > 0]


def load_groups() -> dict:
    data = yaml.safe_load((SHOP / "regions.yml").read_text(encoding="utf-8"))
    return {r["name"]: r["group"] for r in data["regions"]}


def load_settings() -> dict:
    path = SHOP / "settings.yml"
    if not path.exists():
        return DEFAULT_SETTINGS
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    merged = {}
    for key, default in DEFAULT_SETTINGS.items():
        merged[key] = {**default, **(data.get(key) or {})}
    return merged


def load_couriers() -> set:
    data = yaml.safe_load((SHOP / "couriers.yml").read_text(encoding="utf-8"))
    return {c["name"] for c in data["couriers"]}


class Maker:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.catalog = load_catalog()
        self.groups = load_groups()
        couriers = load_couriers()
        assert set(COURIER_SPEED) <= couriers, "courier missing from couriers.yml"
        st = load_settings()
        self.default_courier = st["couriers"]["default"]
        self.upgrade_fee = {u["name"]: Decimal(str(u["fee"])) for u in st["couriers"]["upgrades"]}
        assert {"顺丰", "EMS"} <= set(self.upgrade_fee), "settings.yml: 顺丰/EMS upgrades expected"
        self.free_groups = set(st["shipping"]["free_groups"])
        self.surcharge = {g: Decimal(str(v)) for g, v in (st["shipping"]["surcharge"] or {}).items()}
        # the scenarios below must stay on the right side of the shop's thresholds
        assert st["logistics"]["stalled_after_days"] < 4
        assert st["returns"]["refund_overdue_days"] <= 5
        assert st["returns"]["no_reason_days"] == 7
        assert st["dispatch"]["promise_hours"] <= 72
        self.ids: set = set()

    # --- small helpers ---------------------------------------------------
    def minutes(self, dt: datetime) -> datetime:
        return dt.replace(second=0, microsecond=0)

    def hours(self, lo: float, hi: float) -> timedelta:
        return timedelta(minutes=self.rng.randint(int(lo * 60), int(hi * 60)))

    def order_id(self) -> str:
        while True:
            oid = self.rng.choice("34") + "".join(self.rng.choice("0123456789") for _ in range(18))
            if oid not in self.ids:
                self.ids.add(oid)
                return oid

    def tracking_no(self, courier: str) -> str:
        digits = lambda n: "".join(self.rng.choice("0123456789") for _ in range(n))  # noqa: E731
        if courier == "顺丰":
            return "SF" + self.rng.choice("13") + digits(12)
        if courier == "EMS":
            return "11" + digits(11)
        return "7" + self.rng.choice("358") + digits(10)

    def return_tracking_no(self) -> str:
        if self.rng.random() < 0.5:
            return self.tracking_no("中通")
        return "YT" + "".join(self.rng.choice("0123456789") for _ in range(13))

    def items(self) -> list:
        picks = self.rng.sample(self.catalog, self.rng.choice([1, 1, 2, 2, 2, 3, 4]))
        return [{"sku": p["sku"], "name": p["name"],
                 "qty": self.rng.choice([1, 1, 1, 2, 2, 3]),
                 "price": money(Decimal(p["price"]))} for p in picks]

    def postage(self, group: str, upgrade: str | None) -> Decimal:
        fee = Decimal("0.00")
        if group not in self.free_groups:
            fee += self.surcharge.get(group, Decimal("0.00"))
        if upgrade:
            fee += self.upgrade_fee[upgrade]
        return fee

    def pick_upgrade(self, group: str, opts: dict) -> str | None:
        """顺丰 / EMS only when the buyer asked (and paid) for it; else the default courier."""
        if opts.get("ems"):
            return "EMS"
        if opts.get("sf"):
            return "顺丰"
        roll = self.rng.random()
        if group == "remote" and roll < 0.3:
            return "EMS"
        if roll < 0.08:
            return "顺丰"
        if roll < 0.1:
            return "EMS"
        return None

    @staticmethod
    def handover_ok(dt: datetime) -> bool:
        """The warehouse hands parcels to couriers Monday-Saturday, 08:00-21:00."""
        return dt.weekday() != 6 and 8 <= dt.hour < 21

    @staticmethod
    def attempts(limit: int = 5000):
        """Bounded retry loop for rejection sampling (deterministic: same rng stream)."""
        for _ in range(limit):
            yield
        raise RuntimeError("could not place an order in its scenario; check the time windows")

    def transit(self, group: str, courier: str) -> timedelta:
        lo, hi = TRANSIT_HOURS[group]
        return self.hours(lo * COURIER_SPEED[courier], hi * COURIER_SPEED[courier])

    # --- logistics -------------------------------------------------------
    def route(self, courier: str, receiver: dict, via: str | None, shipped: datetime,
              transit: timedelta) -> list:
        """The full planned trace, 揽收 .. 已签收, with times spread over transit."""
        city = receiver["city"]
        short = city[:-1] if city.endswith("市") else city
        district = receiver["address"].split("区")[0] + "区" if "区" in receiver["address"] else short
        courier_full = {"中通": "中通快递", "顺丰": "顺丰速运", "EMS": "中国邮政EMS"}[courier]
        dest_hub = f"{courier}{short}转运中心"
        steps = [
            (0.0, f"【{WAREHOUSE_CITY}】{courier_full}嘉兴南湖营业点已揽收"),
            (0.1, f"【{WAREHOUSE_CITY}】快件已由{courier}{WAREHOUSE_HUB}发出,下一站"
                  + (f"{courier}{via[:-1]}转运中心" if via else dest_hub)),
        ]
        if via:
            steps.append((0.45, f"【{via}】快件已到达{courier}{via[:-1]}转运中心"))
        steps.append((0.7, f"【{city}】快件已到达{dest_hub}"))
        if self.rng.random() < 0.6:
            steps.append((0.8, f"【{city}】快件已由{dest_hub}发出,下一站{short}{district}营业部"))
        courier_man = self.rng.choice(COURIER_NAMES)
        steps.append((0.92, f"【{city}】{short}{district}营业部快递员{courier_man}师傅正在派送中,"
                            f"电话:1{self.rng.choice('3578')}{self.rng.randint(0, 9)}****"
                            f"{self.rng.randint(1000, 9999)}"))
        signed = self.rng.choice(SIGNED)
        steps.append((1.0, f"【{city}】{signed},感谢使用{courier_full},期待再次为您服务"))
        events, last = [], None
        for frac, text in steps:
            at = self.minutes(shipped + transit * frac + self.hours(0, 1.5) * (0 < frac < 1))
            if frac == 0.0:
                at = shipped
            if frac == 0.1:
                at = shipped + self.hours(2, 6)
            if frac == 0.92:  # out for delivery the same morning/afternoon it is signed
                at = self.minutes(shipped + transit - self.hours(0.5, 4))
            if last is not None and at <= last:
                at = last + self.hours(0.5, 2)
            events.append({"time": at, "event": text})
            last = at
        return events

    @staticmethod
    def daytime_ok(events: list) -> bool:
        """Couriers deliver and parcels get signed for between 08:00 and 21:00."""
        return all(8 <= e["time"].hour < 21 for e in events
                   if "派送中" in e["event"] or "已签收" in e["event"])

    # --- one order -------------------------------------------------------
    def build(self, account: str, scenario: str, opts: dict) -> dict:
        rng = self.rng
        addr = ACCOUNTS[account][opts.get("addr", 0)]
        name, region, city, address, phone, via = addr
        group = self.groups[region]
        if group not in ("far", "remote"):
            via = None
        receiver = {"name": name, "region": region, "city": city, "address": address, "phone": phone}
        items = self.items()
        if opts.get("price_cut_since"):
            # Bought before the price was cut by this much: the buyer may ask for 价保.
            items[0]["price"] = money(Decimal(str(items[0]["price"])) + Decimal(str(opts["price_cut_since"])))
        goods = sum(Decimal(str(i["price"])) * i["qty"] for i in items)
        upgrade = self.pick_upgrade(group, opts)
        postage = self.postage(group, upgrade)
        total = goods + postage
        remark = ""
        if upgrade:
            remark = rng.choice(UPGRADE_REMARKS[upgrade])
        elif rng.random() < 0.3:
            remark = rng.choice(REMARKS)
        ship_courier = upgrade or self.default_courier

        created = paid = shipped = None
        status = None
        courier = tracking = None
        logistics: list = []
        refund = None
        sign_at = None

        def ship_then_sign(sign_lo_days: float, sign_hi_days: float):
            """Plan backwards from a signing time sign_lo..sign_hi days before NOW."""
            nonlocal created, paid, shipped, courier, tracking, logistics, sign_at
            courier = ship_courier
            for _ in self.attempts():
                sign = self.minutes(NOW - self.hours(sign_lo_days * 24, sign_hi_days * 24))
                transit = self.transit(group, courier)
                shipped = self.minutes(sign - transit)
                paid = shipped - self.hours(3, 40)
                created = paid - self.hours(0.02, 0.5)
                if created < START or not self.handover_ok(shipped):
                    continue
                logistics = self.route(courier, receiver, via, shipped, sign - shipped)
                if self.daytime_ok(logistics):
                    break
            sign_at = logistics[-1]["time"]
            tracking = self.tracking_no(courier)

        if scenario == "unpaid":
            status = "unpaid"
            created = self.minutes(NOW - self.hours(0.3, 20))
        elif scenario == "closed_by_buyer":
            status = "closed"
            created = self.minutes(NOW - self.hours(24 * 1, 24 * 25))
        elif scenario in ("paid_fresh", "paid_refund_requested"):
            status = "paid"
            paid = self.minutes(NOW - self.hours(1, 22))
            created = paid - self.hours(0.02, 0.5)
            if scenario == "paid_refund_requested":
                req = self.minutes(NOW - self.hours(0.2, 0.8) * 1)
                req = max(req, paid + self.hours(0.3, 1))
                refund = {"status": "requested", "reason": "no_reason", "amount": money(total),
                          "requested_at": req, "return_tracking_no": None, "updated_at": req}
        elif scenario == "paid_overdue":
            status = "paid"
            paid = self.minutes(NOW - self.hours(72, 120))
            created = paid - self.hours(0.02, 0.5)
        elif scenario == "closed_refunded":
            status = "closed"
            paid = self.minutes(NOW - self.hours(24 * 3, 24 * 20))
            created = paid - self.hours(0.02, 0.5)
            req = paid + self.hours(1, 20)
            done = req + self.hours(0.5, 20)
            refund = {"status": "refunded", "reason": "no_reason", "amount": money(total),
                      "requested_at": req, "return_tracking_no": None, "updated_at": done}
        elif scenario in ("shipped_fresh", "shipped_refund_requested"):
            status = "shipped"
            courier = ship_courier
            for _ in self.attempts():
                transit = self.transit(group, courier)
                elapsed = max(timedelta(hours=3), transit * rng.uniform(0.1, 0.95))
                shipped = self.minutes(NOW - elapsed)
                if not self.handover_ok(shipped):
                    continue
                full = self.route(courier, receiver, via, shipped, transit)
                logistics = [e for e in full if e["time"] <= NOW and "已签收" not in e["event"]]
                if (len(logistics) >= 2 and NOW - logistics[-1]["time"] < timedelta(days=2)
                        and self.daytime_ok(logistics)):
                    break
            paid = shipped - self.hours(3, 36)
            created = paid - self.hours(0.02, 0.5)
            tracking = self.tracking_no(courier)
            if scenario == "shipped_refund_requested":
                req = self.minutes(NOW - self.hours(1, 5))
                refund = {"status": "requested", "reason": "no_reason", "amount": money(goods),
                          "requested_at": req, "return_tracking_no": None, "updated_at": req}
        elif scenario == "shipped_stalled":
            status = "shipped"
            courier = ship_courier
            transit = self.transit(group, courier)
            full = self.route(courier, receiver, via, NOW, transit)  # times rebased below
            keep = 3 if via else rng.choice([2, 3])
            kept = full[:keep]
            for _ in self.attempts():
                last_at = self.minutes(NOW - self.hours(24 * 4, 24 * 7))
                shift = last_at - kept[-1]["time"]
                logistics = [{"time": e["time"] + shift, "event": e["event"]} for e in kept]
                shipped = logistics[0]["time"]
                if self.handover_ok(shipped):
                    break
            paid = shipped - self.hours(3, 36)
            created = paid - self.hours(0.02, 0.5)
            tracking = self.tracking_no(courier)
        elif scenario == "delivered_recent":
            status = "delivered"
            ship_then_sign(0.3, 6.5)
        elif scenario == "delivered_old":
            status = "delivered"
            ship_then_sign(8, 11)
        elif scenario == "completed":
            status = "completed"
            ship_then_sign(1.5, 22)
        elif scenario.startswith("refund_"):
            line = rng.choice(items)
            line_amount = Decimal(str(line["price"])) * line["qty"]
            unit = Decimal(str(line["price"]))
            if scenario == "refund_requested_fresh":
                status = "delivered"
                ship_then_sign(1, 5)
                req = self.minutes(NOW - self.hours(2, 40))
                reason = opts.get("reason") or rng.choice(["no_reason", "quality", "damaged"])
                amount = line_amount if reason == "no_reason" else unit
                refund = {"status": "requested", "reason": reason, "amount": money(amount),
                          "requested_at": max(req, sign_at + self.hours(1, 3)),
                          "return_tracking_no": None}
                refund["updated_at"] = refund["requested_at"]
            elif scenario == "refund_requested_overdue":
                status = "delivered"
                ship_then_sign(7.5, 10)
                req = self.minutes(NOW - self.hours(24 * 5, 24 * 7))
                reason = opts.get("reason") or rng.choice(["quality", "damaged", "missing_item", "expired"])
                refund = {"status": "requested", "reason": reason, "amount": money(unit),
                          "requested_at": max(req, sign_at + self.hours(1, 3)),
                          "return_tracking_no": None}
                refund["updated_at"] = refund["requested_at"]
            elif scenario in ("refund_returning", "refund_returning_overdue"):
                status = "delivered"
                overdue = scenario.endswith("overdue")
                ship_then_sign(6.5, 7.5) if overdue else ship_then_sign(2.5, 5)
                req = sign_at + self.hours(3, 20)
                reason = opts.get("reason") or rng.choice(["no_reason", "wrong_item"])
                refund = {"status": "returning", "reason": reason, "amount": money(line_amount),
                          "requested_at": req, "return_tracking_no": self.return_tracking_no(),
                          "updated_at": req + self.hours(4, 20)}
            elif scenario in ("refund_received", "refund_received_overdue"):
                status = "delivered"
                overdue = scenario.endswith("overdue")
                reason = opts.get("reason") or rng.choice(["no_reason", "wrong_item", "quality"])
                if overdue:  # returned parcel arrived days ago, money still not sent
                    ship_then_sign(8, 11)
                    req = sign_at + self.hours(3, 30)
                    back = self.minutes(NOW - self.hours(72, 96))
                else:        # arrived today/yesterday, within refund_days_after_received
                    ship_then_sign(3.5, 4.5)
                    req = sign_at + self.hours(3, 12)
                    back = self.minutes(NOW - self.hours(6, 30))
                refund = {"status": "received", "reason": reason, "amount": money(line_amount),
                          "requested_at": req, "return_tracking_no": self.return_tracking_no(),
                          "updated_at": back}
            elif scenario == "refund_refunded":
                status = "completed"
                ship_then_sign(6, 20)
                req = sign_at + self.hours(2, 30)
                reason = opts.get("reason") or rng.choice(["damaged", "missing_item", "expired", "quality"])
                amount = unit if reason != "quality" else line_amount
                refund = {"status": "refunded", "reason": reason, "amount": money(amount),
                          "requested_at": req,
                          "return_tracking_no": self.return_tracking_no() if reason == "quality" else None,
                          "updated_at": req + self.hours(2, 48)}
            elif scenario == "refund_rejected":
                status = "delivered"
                ship_then_sign(3, 6)
                req = sign_at + self.hours(2, 20)
                refund = {"status": "rejected", "reason": "quality", "amount": money(line_amount),
                          "requested_at": req, "return_tracking_no": None,
                          "updated_at": req + self.hours(5, 30)}
            elif scenario == "refund_rejected_window":
                # no-reason return asked for after the 7-day window had closed
                status = "delivered"
                ship_then_sign(9, 12)
                req = sign_at + self.hours(24 * 7 + 6, 24 * 8)
                refund = {"status": "rejected", "reason": "no_reason", "amount": money(line_amount),
                          "requested_at": req, "return_tracking_no": None,
                          "updated_at": req + self.hours(2, 10)}
            else:
                raise ValueError(scenario)
        else:
            raise ValueError(scenario)

        if refund:
            assert refund["updated_at"] <= NOW and refund["requested_at"] <= NOW, scenario
            refund = {**refund, "requested_at": ts(refund["requested_at"]),
                      "updated_at": ts(refund["updated_at"])}

        invoice = self.invoice(status, paid, sign_at, opts.get("invoice"))

        return {
            "order_id": self.order_id(),
            "account": account,
            "created_at": ts(created),
            "paid_at": ts(paid),
            "status": status,
            "items": items,
            "total": money(total),
            "postage": money(postage),
            "receiver": receiver,
            "remark": remark,
            "courier": courier,
            "tracking_no": tracking,
            "shipped_at": ts(shipped),
            "logistics": [{"time": ts(e["time"]), "event": e["event"]} for e in logistics],
            "refund": refund,
            "invoice": invoice,
            # 运费险: bought with the order, it pays the postage of a no-reason return.
            "freight_insurance": bool(opts.get("freight_insurance")),
            "_sort": created,
        }

    def invoice(self, status, paid, sign_at, forced):
        """Issued only once the buyer confirmed receipt (completed); before, requested."""
        if paid is None or status == "closed":
            return None
        if forced is None:
            if self.rng.random() > 0.14:
                return None
            forced = "issued" if status == "completed" else "requested"
        if forced == "requested":
            return {"type": self.rng.choice(["electronic", "electronic", "paper"]),
                    "title": "个人", "status": "requested", "issued_at": None}
        assert status == "completed", "invoices are issued after confirmation"
        issued = self.minutes(sign_at + self.hours(6, 30 if forced == "issued" else 60))
        issued = min(issued, self.minutes(NOW - self.hours(1, 3)))
        if forced == "issued":
            return {"type": "electronic", "title": self.rng.choice(["个人", "个人", COMPANIES[0]]),
                    "status": "issued", "issued_at": ts(issued)}
        if forced == "paper_mailed":
            return {"type": "paper", "title": "个人", "status": "mailed", "issued_at": ts(issued)}
        if forced == "vat_mailed":
            return {"type": "vat_special", "title": self.rng.choice(COMPANIES[1:]),
                    "status": "mailed", "issued_at": ts(issued)}
        raise ValueError(forced)


def main() -> None:
    maker = Maker()
    orders = []
    for account, plan in PLAN.items():
        for entry in plan:
            scenario, opts = (entry, {}) if isinstance(entry, str) else entry
            orders.append(maker.build(account, scenario, opts))
    orders.sort(key=lambda o: (o.pop("_sort"), o["order_id"]), reverse=True)
    OUT.write_text(json.dumps({"orders": orders}, ensure_ascii=False, indent=2) + "\n",
                   encoding="utf-8")
    print(f"wrote {len(orders)} orders to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
