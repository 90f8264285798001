"""Book generator steps of the service desk: its configuration, and ~18 months of contacts, cases and surveys.

* `service.desk` (book-level): the queues (the call centre, the complaints desk, the emergency desk and a priority
  queue at head office; a counter queue per branch), the routing rules (complaints, emergencies, diamond and gold
  customers, requests to the customer's branch counter), the default queues (the jurisdiction's and head office's:
  the call centre) and the queue members (call-centre, head-office and counter staff with a capacity and their
  languages), so routing works for the cases opened after the seed too. It reads the SLA book once.
* `service.history` (per chunk, no query): over the HISTORY_DAYS before the as-of date, interactions on every
  channel (a few per customer, more for customers with a policy in grace), cases of every type with their event
  logs (opened, assigned, answered, sometimes waiting and resumed, resolved, closed; a case's life is cut at the
  as-of date, so the recent ones are still open, and a few are stuck and breach their SLA), their cached deadlines
  (`sla.deadlines_of_log`, the same replay as `case_deadlines_refresh`), the CSAT of each closed case (sent unless
  the customer was asked in the last LIFECRM_SURVEY_MIN_DAYS days or has no mobile phone nor e-mail; about 30 %
  answered, mostly satisfied) and the periodic NPS (each customer once every LIFECRM_NPS_PERIOD_DAYS, as the daily
  step asks them, credited to their agent while active).

Events are recorded under the staff member's name (`system_actor`: generated staff have no user) or "routing".
Complaints run at COMPLAINTS_PER_1000_POLICIES a month; a sales complaint names the customer's agent half the time.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from django.conf import settings

from lifecrm.core.generator import (
    NO_DATE,
    GeneratorContext,
    age_on,
    aware,
    choice_weighted,
    generator_step,
    uniform_int,
)
from lifecrm.core.generator.dates import date_of
from lifecrm.notifications import content, letters
from lifecrm.org.generator import OrgBook
from lifecrm.parties.generator import PartiesChunk
from lifecrm.policies.generator import STATUS_CODES, PoliciesChunk
from lifecrm.policies.rules import Status
from lifecrm.service.complaints import MESSAGES, decision_rights, limits_for
from lifecrm.service.rules import CaseEventKind, CaseStatus, Priority, next_status
from lifecrm.service.sla import SlaBook, deadlines_of_log
from lifecrm.service.sla_rules import Event

HISTORY_DAYS = 548  # about 18 months
ADULT_AGE = 18  # younger customers have no contacts, cases nor surveys of their own
INTERACTIONS_PER_CUSTOMER = 2.5  # on average over the history; a customer with a policy in grace: GRACE_EXTRA more
GRACE_EXTRA = 2.0
CASES_PER_CUSTOMER = {"inquiry": 0.30, "request": 0.12, "emergency": 0.004}  # over the history
COMPLAINTS_PER_1000_POLICIES = 1.5  # a month
STUCK_SHARE = 0.3  # cases opened in the last STUCK_DAYS nobody has resolved yet (the backlog; many breach)
STUCK_DAYS = 30
UNTAKEN_SHARE = 0.3  # of those, still waiting in their queue for a handler
CSAT_ANSWERED = 0.30
NPS_ANSWERED = 0.20
CSAT_WEIGHTS = tuple(enumerate((4, 5, 12, 35, 44), start=1))  # (score 1–5, weight)
COMPLAINT_CSAT_WEIGHTS = tuple(enumerate((18, 17, 25, 25, 15), start=1))
NPS_WEIGHTS = tuple(enumerate((2, 1, 1, 2, 2, 4, 6, 12, 20, 25, 25)))  # (score 0–10, weight)
DAY = 86400
HOUR = 3600

# (traditional, simplified) texts: CN books use the simplified ones.
_QUEUES = (  # code, name, English name
    ("callcentre", ("客服中心", "客服中心"), "Call centre"),
    ("complaints", ("投訴處理組", "投诉处理组"), "Complaints desk"),
    ("emergency", ("急難救助專線", "急难救助专线"), "Emergency desk"),
    ("priority", ("尊榮客戶服務", "尊荣客户服务"), "Priority service"),
)
_COUNTER = ("櫃檯", "柜台")

# Interactions: channel, direction, weight, who served ("callcentre", "counter", "agent", ""), subjects, outcomes.
_ANSWERED = ("answered", "follow_up", "case_opened")
_INTERACTIONS = (
    ("call", "in", 30, "callcentre", (("查詢保費", "查询保费"), ("查詢保單狀態", "查询保单状态"),
                                       ("理賠進度查詢", "理赔进度查询"), ("更改聯絡資料", "更改联络资料")),
     _ANSWERED, (80, 15, 5)),
    ("call", "out", 16, "callcentre", (("繳費提醒", "缴费提醒"), ("保單周年回訪", "保单周年回访"),
                                        ("新契約電話訪問", "新契约电话访问")),
     ("answered", "no_answer", "call_back"), (65, 25, 10)),
    ("counter", "in", 11, "counter", (("辦理保全變更", "办理保全变更"), ("繳交保費", "缴交保费"),
                                      ("遞交理賠文件", "递交理赔文件")), _ANSWERED, (85, 12, 3)),
    ("agent_visit", "out", 12, "agent", (("保單檢視", "保单检视"), ("家庭保障規劃", "家庭保障规划"),
                                         ("續期說明", "续期说明")), ("answered", "follow_up"), (75, 25)),
    ("email", "in", 5, "callcentre", (("查詢保單條款", "查询保单条款"), ("索取繳費證明", "索取缴费证明")),
     ("answered", "follow_up"), (85, 15)),
    ("email", "out", 6, "", (("保單年度報告", "保单年度报告"), ("繳費通知", "缴费通知")), ("sent",), (1,)),
    ("sms", "out", 10, "", (("繳費提醒", "缴费提醒"), ("扣款成功通知", "扣款成功通知")), ("sent",), (1,)),
    ("letter", "out", 5, "", (("保單周年通知書", "保单周年通知书"), ("寬限期通知", "宽限期通知")), ("sent",), (1,)),
    ("letter", "in", 1, "counter", (("書面申請", "书面申请"),), ("answered",), (1,)),
    ("web", "in", 2, "callcentre", (("網上查詢", "网上查询"),), ("answered",), (1,)),
    ("portal", "in", 2, "callcentre", (("會員專區留言", "会员专区留言"),), ("answered",), (1,)),
)
_GRACE_CALL = ("寬限期繳費提醒", "宽限期缴费提醒")

# Cases: per type, its categories (code, weight, subjects) and how it runs.
_CATEGORIES = {
    "inquiry": (("premium", 45, (("保費金額疑問", "保费金额疑问"), ("扣款日期查詢", "扣款日期查询"))),
                ("policy_terms", 30, (("保障範圍說明", "保障范围说明"), ("等待期疑問", "等待期疑问"))),
                ("claim_status", 25, (("理賠進度查詢", "理赔进度查询"),))),
    "request": (("contact_change", 55, (("更改地址", "更改地址"), ("更改手機號碼", "更改手机号码"))),
                ("document_copy", 45, (("補發保單", "补发保单"), ("繳費證明", "缴费证明")))),
    "complaint": (("complaint_sales", 30, (("業務員說明不清", "业务员说明不清"), ("銷售誤導", "销售误导"))),
                  ("complaint_service", 30, (("服務態度欠佳", "服务态度欠佳"), ("回覆太慢", "回复太慢"))),
                  ("complaint_claims", 25, (("理賠金額爭議", "理赔金额争议"), ("拒賠爭議", "拒赔争议"))),
                  ("complaint_billing", 15, (("重複扣款", "重复扣款"), ("扣款金額錯誤", "扣款金额错误")))),
    "emergency": (("medical", 70, (("海外就醫協助", "海外就医协助"), ("住院安排", "住院安排"))),
                  ("ambulance", 30, (("救護車安排", "救护车安排"),))),
}
_PREFIX = {"inquiry": "IQ", "request": "RQ", "complaint": "CP", "emergency": "EM"}  # = data/case_types.json
_PRIORITY = {"inquiry": Priority.NORMAL, "request": Priority.NORMAL, "complaint": Priority.HIGH,
             "emergency": Priority.URGENT}
_CASE_CHANNELS = {"inquiry": (("call", 70), ("email", 10), ("web", 8), ("counter", 12)),
                  "request": (("counter", 45), ("call", 30), ("letter", 10), ("portal", 15)),
                  "complaint": (("call", 55), ("letter", 20), ("email", 15), ("counter", 10)),
                  "emergency": (("call", 100),)}
# Wall-clock seconds: median delay to the first answer and from it to the resolution (lognormal, sigma 0.8).
_ANSWER_MEDIAN = {"inquiry": 3 * HOUR, "request": 5 * HOUR, "complaint": 20 * HOUR, "emergency": 10 * 60}
_RESOLVE_MEDIAN = {"inquiry": 6 * HOUR, "request": 3 * DAY, "complaint": 12 * DAY, "emergency": 1 * DAY}
_WAITING_SHARE = {"inquiry": 0.08, "request": 0.30, "complaint": 0.25, "emergency": 0.0}
COMPLAINT_DELIVERY = 2 * DAY  # a decision letter reaches the customer two days after the decision
COMPLAINT_REVIEW_DAYS = 30  # the customer may ask for a review within 30 days of the delivery (DOMAIN.md)
COMPLAINT_CLOSE_AFTER = COMPLAINT_DELIVERY + (COMPLAINT_REVIEW_DAYS + 3) * DAY
COMPLAINT_DECISION_DAYS = 15  # the decision is due 15 days after receipt (not complex)
_EMERGENCY_PLACES = (("臺北市信義區松仁路100號", "北京市朝阳区建国路88号"), ("高雄市前鎮區成功二路25號", "上海市浦东新区世纪大道100号"),
                     ("新北市板橋區文化路一段188號", "广州市天河区天河路208号"))
_CANCELLED_SHARE = {"inquiry": 0.02, "request": 0.03, "complaint": 0.0, "emergency": 0.0}
_WAITING_NOTE = ("等待客戶補充資料", "等待客户补充资料")
_COMMENTS = {5: ("處理很快，謝謝", "处理很快，谢谢"), 4: ("整體滿意", "整体满意"),
             2: ("等太久了", "等太久了"), 1: ("問題沒有解決", "问题没有解决")}

_GRACE = STATUS_CODES.index(Status.GRACE)
_NORMAL = NormalDist()


@dataclass
class DeskBook:
    """The generated service desk, as what the chunks draw from."""

    members: dict[str, list[tuple[int, tuple[str, ...]]]]  # queue code: (staff id, languages) of its members
    branch_queue: dict[str, str]  # branch path: its counter queue
    staff_team: dict[int, int]  # staff id: team unit id (0: not in a team)
    staff_branch: dict[int, int]  # staff id: the branch (or head office) above their unit
    staff_path: dict[int, str]  # staff id: their unit's path
    staff_name: dict[int, str]
    staff_active: set[int]
    callcentre: np.ndarray  # staff ids
    branch_ids_by_path: dict[str, int]
    sla: SlaBook
    survey_min_days: int
    survey_valid_days: int
    nps_period_days: int


def _text(pair: tuple[str, str], jurisdiction: str) -> str:
    return pair[1] if jurisdiction == "CN" else pair[0]


@generator_step("service.desk", after=["org.units"],
                writes=["service.Queue", "service.RoutingRule", "service.DefaultQueue", "service.QueueMember"])
def generate_desk(ctx: GeneratorContext) -> None:
    """Queues, routing rules, default queues and queue members for the generated org chart."""
    rng = ctx.rng()
    org: OrgBook = ctx.book["org"]
    j = ctx.jurisdiction
    units = ctx.pending("org.OrgUnit")
    staff = ctx.pending("org.Staff")
    unit_ids = np.asarray(units["id"]).tolist()
    unit_kind = dict(zip(unit_ids, list(units["kind"]), strict=True))
    unit_path = dict(zip(unit_ids, list(units["path"]), strict=True))
    unit_parent = dict(zip(unit_ids, np.asarray(units["parent_id"]).tolist(), strict=True))
    unit_code = dict(zip(unit_ids, list(units["code"]), strict=True))
    unit_name = dict(zip(unit_ids, list(units["name"]), strict=True))
    staff_ids = np.asarray(staff["id"]).tolist()
    role = dict(zip(staff_ids, list(staff["role"]), strict=True))
    staff_unit = dict(zip(staff_ids, np.asarray(staff["org_unit_id"]).tolist(), strict=True))

    queues = [(code, _text(name, j), name_en, org.hq_id) for code, name, name_en in _QUEUES]
    branch_queue = {}
    for branch_id, path in zip(org.branch_ids.tolist(), org.branch_paths.tolist(), strict=True):
        code = f"counter-{unit_code[branch_id].lower()}"
        branch_queue[path] = code
        queues.append((code, unit_name[branch_id] + _text(_COUNTER, j), f"{unit_code[branch_id]} counter", branch_id))
    ctx.write("service.Queue", {
        "code": [q[0] for q in queues], "name": [q[1] for q in queues], "name_en": [q[2] for q in queues],
        "org_unit_id": np.array([q[3] for q in queues], dtype=np.int64),
    })
    # position, case type, tier, branch, queue
    rules = [(10, "complaint", "", 0, "complaints"), (20, "emergency", "", 0, "emergency"),
             (30, "", "diamond", 0, "priority"), (40, "", "gold", 0, "priority")]
    rules += [(100 + i, "request", "", b, branch_queue[p])
              for i, (b, p) in enumerate(zip(org.branch_ids.tolist(), org.branch_paths.tolist(), strict=True))]
    ctx.write("service.RoutingRule", {
        "id": ctx.ids("service.RoutingRule", len(rules)),
        "position": np.array([r[0] for r in rules], dtype=np.int64),
        "case_type_id": [r[1] or None for r in rules], "category_id": None, "language": "",
        "branch_id": np.array([r[3] for r in rules], dtype=np.int64), "tier": [r[2] for r in rules],
        "queue_id": [r[4] for r in rules], "is_active": True,
    })
    ctx.write("service.DefaultQueue", {
        "id": ctx.ids("service.DefaultQueue", 2), "jurisdiction_id": [j, None], "queue_id": ["callcentre"] * 2,
    })

    main_language, other = ("zh-hans" if j == "CN" else "zh-hant"), "en"
    members: dict[str, list[tuple[int, tuple[str, ...]]]] = {code: [] for code, *_ in queues}
    rows = []  # queue, staff, languages, case types, capacity

    def add(queue: str, staff_id: int, languages: tuple[str, ...], case_types: tuple[str, ...], capacity: int):
        rows.append((queue, staff_id, languages, case_types, capacity))
        members[queue].append((staff_id, languages))

    hq_callcentre = [s for s in staff_ids if role[s] == "callcentre" and staff_unit[s] == org.hq_id]
    for i, s in enumerate(s for s in staff_ids if role[s] == "callcentre"):
        languages = (main_language, other) if i % 2 == 0 or j == "HK" else (main_language,)
        add("callcentre", s, languages, (), int(rng.integers(10, 16)))
    for s in hq_callcentre:
        add("emergency", s, (main_language, other), ("emergency",), 6)
    for s in hq_callcentre[:2]:
        add("priority", s, (main_language, other), (), 8)
    for s in (s for s in staff_ids if role[s] == "hq"):
        add("complaints", s, (main_language, other), (), 15)
    for s in (s for s in staff_ids if role[s] == "counter"):
        branch_path = unit_path[staff_unit[s]]
        add(branch_queue[branch_path], s, (main_language,), ("request", "inquiry"), int(rng.integers(6, 11)))
    ctx.write("service.QueueMember", {
        "id": ctx.ids("service.QueueMember", len(rows)),
        "queue_id": [r[0] for r in rows], "staff_id": np.array([r[1] for r in rows], dtype=np.int64),
        "languages": [json.dumps(list(r[2])) for r in rows], "case_types": [json.dumps(list(r[3])) for r in rows],
        "categories": "[]", "capacity": np.array([r[4] for r in rows], dtype=np.int64), "is_active": True,
    })

    team, branch, path = {}, {}, {}
    for s in staff_ids:
        unit = staff_unit[s]
        in_team = unit_kind[unit] == "team"
        team[s] = unit if in_team else 0
        branch[s] = unit_parent[unit] if in_team else unit
        path[s] = unit_path[unit]
    book = SlaBook.load()
    book.calendar(j)  # built here: the chunks read no database
    ctx.book["service"] = DeskBook(
        members=members, branch_queue=branch_queue, staff_team=team, staff_branch=branch, staff_path=path,
        staff_name=dict(zip(staff_ids, list(staff["name"]), strict=True)), staff_active={s for s, a in zip(staff_ids, np.asarray(staff["is_active"]).tolist(), strict=True) if a},
        callcentre=np.array([s for s in staff_ids if role[s] == "callcentre"], dtype=np.int64),
        branch_ids_by_path=dict(zip(org.branch_paths.tolist(), org.branch_ids.tolist(), strict=True)),
        sla=book, survey_min_days=settings.LIFECRM_SURVEY_MIN_DAYS,
        survey_valid_days=settings.LIFECRM_SURVEY_VALID_DAYS, nps_period_days=settings.LIFECRM_NPS_PERIOD_DAYS)


@dataclass
class _Customers:
    """The chunk's customers (index c) as the history reads them."""

    ids: np.ndarray
    path: np.ndarray
    branch: np.ndarray  # branch unit id
    agent: np.ndarray  # staff id or 0
    language: np.ndarray
    channel: np.ndarray  # preferred channel
    mobile: np.ndarray  # bool
    email: np.ndarray  # bool
    since: np.ndarray  # day number of created_at
    adult: np.ndarray  # bool: an organisation or a person of 18 or more (a child's parents call for them)
    policies: list[list[int]]  # policy ids each owns


def _customers(ctx: GeneratorContext) -> _Customers:
    rows = ctx.pending("parties.Customer")
    people: PartiesChunk = ctx.data["parties"]
    pol: PoliciesChunk = ctx.data["policies"]
    ids = np.asarray(rows["id"])
    policies: list[list[int]] = [[] for _ in range(len(ids))]
    for policy_id, owner in zip(pol.ids.tolist(), people.row[pol.owner].tolist(), strict=True):
        policies[owner].append(policy_id)
    adult = np.ones(len(ids), dtype=bool)
    adult[people.row] = age_on(people.birth, ctx.as_of_day) >= ADULT_AGE
    return _Customers(
        ids=ids, path=np.asarray(rows["branch_path"], dtype=object), branch=np.asarray(rows["branch_id"]),
        agent=np.asarray(rows["servicing_agent_id"]), language=np.asarray(rows["preferred_language"], dtype=object),
        channel=np.asarray(rows["preferred_channel"], dtype=object),
        mobile=np.asarray(rows["mobile_phone"], dtype=object) != "", email=np.asarray(rows["email"], dtype=object) != "",
        since=np.asarray(rows["created_at"], dtype=np.int64) // DAY, adult=adult, policies=policies)


def _grace(ctx: GeneratorContext, n: int) -> np.ndarray:
    people: PartiesChunk = ctx.data["parties"]
    pol: PoliciesChunk = ctx.data["policies"]
    grace = np.zeros(n, dtype=bool)
    grace[people.row[pol.owner[pol.status == _GRACE]]] = True
    return grace


def _counters_by_branch(org: OrgBook) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for staff_id, b in zip(org.counter_ids.tolist(), org.counter_branch.tolist(), strict=True):
        result.setdefault(int(org.branch_ids[b]), []).append(staff_id)
    return result


@generator_step("service.history", after=["policies.policies", "service.desk"], per_chunk=True,
                writes=["service.Case", "service.CaseEvent", "service.Complaint", "service.EmergencyIntake",
                        "notifications.Letter", "service.ComplaintDecision", "service.Interaction", "service.Survey"])
def generate_history(ctx: GeneratorContext) -> None:
    """Interactions, cases with their logs and deadlines, and surveys of the chunk's customers (no query)."""
    cust = _customers(ctx)
    if not len(cust.ids):
        return
    offset = ctx.book["utc_offset"]
    first_day = ctx.as_of_day - HISTORY_DAYS
    cutoff = ctx.as_of_day * DAY + 18 * HOUR - offset  # the as-of day's close of business
    start = np.maximum(cust.since, first_day)
    counters = _counters_by_branch(ctx.book["org"])
    interactions = _interactions(ctx, ctx.rng("interactions"), cust, start, counters)
    cases, opening_contacts = _cases(ctx, ctx.rng("cases"), cust, start, cutoff, counters)
    _write_interactions(ctx, cust, interactions, opening_contacts)
    _surveys(ctx, ctx.rng("surveys"), cust, start, cutoff, cases)


def _interactions(ctx, rng, cust: _Customers, start: np.ndarray, counters) -> dict[str, np.ndarray]:
    desk: DeskBook = ctx.book["service"]
    j = ctx.jurisdiction
    n = len(cust.ids)
    grace = _grace(ctx, n)
    count = rng.poisson((INTERACTIONS_PER_CUSTOMER + GRACE_EXTRA * grace) * cust.adult)
    row = np.repeat(np.arange(n), count)
    m = len(row)
    day = uniform_int(rng, start[row], ctx.as_of_day)
    at = day * DAY + rng.integers(9 * HOUR, 19 * HOUR, m) - ctx.book["utc_offset"]
    template = choice_weighted(rng, [t[2] for t in _INTERACTIONS], m)
    # a customer in grace gets reminder calls
    reminder = grace[row] & (rng.random(m) < 0.4)
    template[reminder] = 1
    subject = np.empty(m, dtype=object)
    outcome = np.empty(m, dtype=object)
    staff = np.zeros(m, dtype=np.int64)
    for t, (_, _, _, served, subjects, outcomes, weights) in enumerate(_INTERACTIONS):
        rows = np.nonzero(template == t)[0]
        if not len(rows):
            continue
        texts = np.array([_text(s, j) for s in subjects], dtype=object)
        subject[rows] = texts[rng.integers(0, len(texts), len(rows))]
        outcome[rows] = np.array(outcomes, dtype=object)[choice_weighted(rng, weights, len(rows))]
        if served == "callcentre":
            staff[rows] = desk.callcentre[rng.integers(0, len(desk.callcentre), len(rows))]
        elif served == "agent":
            staff[rows] = cust.agent[row[rows]]
        elif served == "counter":
            u = rng.random(len(rows)).tolist()
            staff[rows] = [_one_of(counters.get(b, [0]), x) for b, x in zip(cust.branch[row[rows]].tolist(), u,
                                                                             strict=True)]
    subject[reminder] = _text(_GRACE_CALL, j)
    channel = np.array([t[0] for t in _INTERACTIONS], dtype=object)[template]
    direction = np.array([t[1] for t in _INTERACTIONS], dtype=object)[template]
    u = rng.random(m)
    policy = np.array([_one_of(cust.policies[r], x / 0.6) if x < 0.6 and cust.policies[r] else 0
                       for r, x in zip(row.tolist(), u.tolist(), strict=True)], dtype=np.int64)
    return {"row": row, "at": at, "channel": channel, "direction": direction, "subject": subject,
            "outcome": outcome, "staff": staff, "policy": policy, "case": np.zeros(m, dtype=np.int64)}


def _write_interactions(ctx, cust: _Customers, drawn: dict, opening: dict) -> None:
    columns = {key: np.concatenate([drawn[key], np.asarray(opening[key], dtype=drawn[key].dtype)]) for key in drawn}
    order = np.lexsort((columns["at"], columns["row"]))
    columns = {key: value[order] for key, value in columns.items()}
    row = columns.pop("row")
    rng = ctx.rng("recorded")
    ctx.write("service.Interaction", {
        "id": ctx.ids("service.Interaction", len(row)),
        "customer_id": cust.ids[row], "policy_id": columns["policy"], "case_id": columns["case"],
        "channel": columns["channel"], "direction": columns["direction"], "subject": columns["subject"],
        "outcome": columns["outcome"], "note": "", "staff_id": columns["staff"], "occurred_at": columns["at"],
        "recorded_at": columns["at"] + rng.integers(60, 1800, len(row)),
        "branch_path": cust.path[row], "agent_id": cust.agent[row],
    })


def _case_plan(ctx, rng, cust: _Customers, start: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(types, customer indexes, opening days) of the chunk's cases, by opening day; complaints by policies owned."""
    n = len(cust.ids)
    grace = _grace(ctx, n)
    types, customers = [], []
    for case_type, rate in CASES_PER_CUSTOMER.items():
        weight = (np.where(grace, 2.0, 1.0) if case_type == "inquiry" else np.ones(n)) * cust.adult
        k = int(rng.poisson(rate * n)) if weight.any() else 0
        types += [case_type] * k
        customers.append(choice_weighted(rng, weight, k) if k else np.zeros(0, dtype=np.int64))
    owners = np.repeat(np.arange(n), [len(p) for p in cust.policies])
    complaints = int(rng.poisson(len(owners) * COMPLAINTS_PER_1000_POLICIES / 1000 * HISTORY_DAYS / 30.4))
    if len(owners) and complaints:
        types += ["complaint"] * complaints
        customers.append(owners[rng.integers(0, len(owners), complaints)])
    customer = np.concatenate(customers).astype(np.int64)
    day = uniform_int(rng, start[customer], ctx.as_of_day)
    order = np.lexsort((customer, day))
    return [types[i] for i in order.tolist()], customer[order], day[order]


class _Draws:
    """One column of uniform draws per purpose, a value per case: the loop over cases calls no generator."""

    def __init__(self, rng: np.random.Generator, count: int, purposes: tuple[str, ...]) -> None:
        self.columns = {purpose: rng.random(count).tolist() for purpose in purposes}

    def __call__(self, purpose: str, i: int) -> float:
        return self.columns[purpose][i]


_CASE_DRAWS = ("category", "subject", "time", "channel", "about", "handler", "taker", "priority", "stuck", "policy",
               "assign", "cancel", "cancel_at", "answer", "wait", "wait_at", "resume_at", "resolve", "close_at")


def _lognormal(median: float, u: float) -> int:
    """A lognormal delay (sigma 0.8) of the given median, from one uniform draw."""
    return int(median * math.exp(0.8 * _NORMAL.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))))


def _lifecycle(draw: _Draws, i: int, case_type: str, t0: int, stuck: bool) -> list[tuple[CaseEventKind, int]]:
    """The case's events (kind, epoch seconds) from its opening, as if nothing stopped them."""
    events = [(CaseEventKind.OPENED, t0)]
    t = t0 + 60 + int(draw("assign", i) * 19 * 60)
    events.append((CaseEventKind.ASSIGNED, t))
    if draw("cancel", i) < _CANCELLED_SHARE[case_type]:
        return events + [(CaseEventKind.CANCELLED, t + HOUR + int(draw("cancel_at", i) * 2 * DAY))]
    t += _lognormal(_ANSWER_MEDIAN[case_type], draw("answer", i))
    events.append((CaseEventKind.RESPONDED, t))
    if draw("wait", i) < _WAITING_SHARE[case_type]:
        t += 2 * HOUR + int(draw("wait_at", i) * 46 * HOUR)
        events.append((CaseEventKind.WAITING, t))
        t += DAY + int(draw("resume_at", i) * 5 * DAY)
        events.append((CaseEventKind.RESUMED, t))
    if stuck:
        return events
    t += _lognormal(_RESOLVE_MEDIAN[case_type], draw("resolve", i))
    events.append((CaseEventKind.RESOLVED, t))
    # a complaint's decision is delivered, then the customer has 30 days to ask for a review: it closes after them
    wait = COMPLAINT_CLOSE_AFTER if case_type == "complaint" else 3 * DAY
    events.append((CaseEventKind.CLOSED, t + wait + int(draw("close_at", i) * 5 * DAY)))
    return events


def _one_of(options: list, u: float):
    return options[int(u * len(options))]


def _weighted(options: tuple, u: float):
    """The option (a tuple whose second item is its weight) a uniform draw falls on."""
    total = sum(o[1] for o in options)
    for option in options:
        u -= option[1] / total
        if u < 0:
            return option
    return options[-1]


_OPEN = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING)


def _cases(ctx, rng, cust: _Customers, start: np.ndarray, cutoff: int, counters) -> tuple[list[dict], dict]:
    """Write the chunk's cases and their logs; return the cases (for the surveys) and their opening contacts.

    Only a case still open has deadlines to cache (a stopped clock caches none): only those are replayed."""
    desk: DeskBook = ctx.book["service"]
    j = ctx.jurisdiction
    offset = ctx.book["utc_offset"]
    types, customer, day = _case_plan(ctx, rng, cust, start)
    draw = _Draws(rng, len(types), _CASE_DRAWS)
    ids = ctx.ids("service.Case", len(types))
    cases, events = [], []
    opening = {key: [] for key in ("row", "at", "channel", "direction", "subject", "outcome", "staff", "policy",
                                   "case")}
    for i, (case_id, case_type, c, d) in enumerate(zip(ids.tolist(), types, customer.tolist(), day.tolist(),
                                                       strict=True)):
        code, _, subjects = _weighted(_CATEGORIES[case_type], draw("category", i))
        subject = _text(_one_of(subjects, draw("subject", i)), j)
        local = int(draw("time", i) * DAY) if case_type == "emergency" else 9 * HOUR + int(draw("time", i) * 10 * HOUR)
        t0 = min(d * DAY + local - offset, cutoff - 60)
        channel = _weighted(_CASE_CHANNELS[case_type], draw("channel", i))[0]
        branch = int(cust.branch[c])
        agent = int(cust.agent[c])
        about = 0
        if code == "complaint_sales" and agent and draw("about", i) < 0.5:
            about = agent
        elif code == "complaint_service" and draw("about", i) < 0.3:
            about = _one_of(counters.get(branch, [0]), draw("about", i) / 0.3)
        queue = {"complaint": "complaints", "emergency": "emergency",
                 "request": desk.branch_queue[cust.path[c]]}.get(case_type, "callcentre")
        language = cust.language[c]
        able = ([s for s, languages in desk.members[queue] if s != about and language in languages]
                or [s for s, _ in desk.members[queue] if s != about])  # nobody speaks it: someone helps anyway
        assignee = _one_of(able, draw("handler", i)) if able else 0
        opened_by = (_one_of(counters.get(branch, [0]), draw("taker", i)) if channel in ("counter", "letter")
                     else int(_one_of(desk.callcentre, draw("taker", i))) if channel == "call" else 0)
        priority = int(Priority.HIGH if case_type == "inquiry" and draw("priority", i) < 0.1
                       else _PRIORITY[case_type])
        stuck = t0 > cutoff - STUCK_DAYS * DAY and draw("stuck", i) < STUCK_SHARE
        if stuck and draw("stuck", i) < STUCK_SHARE * UNTAKEN_SHARE:  # nobody was free: it waits in the queue
            assignee = 0
        log = [(kind, at) for kind, at in _lifecycle(draw, i, case_type, t0, stuck)
               if at <= cutoff and (assignee or kind == CaseEventKind.OPENED)]
        status, at_of = CaseStatus.NEW, {}
        for kind, at in log[1:]:
            status = next_status(status, kind)
            at_of.setdefault(kind, at)
        data = [f'{{"priority": {priority}, "channel": "{channel}"}}'] + [
            f'{{"assignee": {assignee}}}' if kind == CaseEventKind.ASSIGNED else "{}" for kind, _ in log[1:]]
        response_due = resolution_due = None
        if status in _OPEN:
            response_due, resolution_due = deadlines_of_log(
                [Event(kind, aware(at), json.loads(x)) for (kind, at), x in zip(log, data, strict=True)],
                book=desk.sla, jurisdiction=j, case_type=case_type, tier="standard")
        for seq, ((kind, at), x) in enumerate(zip(log, data, strict=True), start=1):
            by = ("routing" if kind == CaseEventKind.ASSIGNED
                  else desk.staff_name.get(opened_by if kind == CaseEventKind.OPENED else assignee, ""))
            events.append((case_id, seq, kind.value, at, by,
                           _text(_WAITING_NOTE, j) if kind == CaseEventKind.WAITING else "", x))
        policies = cust.policies[c]
        policy = _one_of(policies, draw("policy", i)) if policies else 0
        cases.append({
            "id": case_id, "number": f"{_PREFIX[case_type]}{case_id:08d}", "case_type_id": case_type,
            "category_id": code, "priority": priority, "status": status.value, "customer_id": int(cust.ids[c]),
            "policy_id": policy, "channel": channel, "language": language, "subject": subject,
            "about_staff_id": about, "queue_id": queue, "assignee_id": assignee,
            "effort": {"complaint": 3, "emergency": 2}.get(case_type, 1), "opened_at": t0,
            "first_responded_at": at_of.get(CaseEventKind.RESPONDED), "resolved_at": at_of.get(CaseEventKind.RESOLVED),
            "closed_at": at_of.get(CaseEventKind.CLOSED) or at_of.get(CaseEventKind.CANCELLED),
            "response_due": _seconds(response_due), "resolution_due": _seconds(resolution_due),
            "opened_by_id": opened_by, "branch_id": branch, "branch_path": cust.path[c], "agent_id": agent, "row": c})
        for key, value in (("row", c), ("at", t0), ("channel", channel), ("direction", "in"), ("subject", subject),
                           ("outcome", "case_opened"), ("staff", opened_by), ("policy", policy), ("case", case_id)):
            opening[key].append(value)
    regulated = _regulated_rows(ctx, cust, cases, cutoff)
    if cases:
        columns = {key: [case[key] for case in cases] for key in cases[0] if key != "row"}
        ctx.write("service.Case", {key: _column(key, values) for key, values in columns.items()} | {
            "description": "", "jurisdiction_id": j})
        ctx.write("service.CaseEvent", {
            "id": ctx.ids("service.CaseEvent", len(events)),
            "case_id": np.array([e[0] for e in events], dtype=np.int64),
            "seq": np.array([e[1] for e in events], dtype=np.int64),
            "kind": np.array([e[2] for e in events], dtype=object),
            "at": np.array([e[3] for e in events], dtype=np.int64),
            "actor_id": None, "system_actor": np.array([e[4] for e in events], dtype=object),
            "note": np.array([e[5] for e in events], dtype=object),
            "data": np.array([e[6] for e in events], dtype=object),
        })
        for label, columns in regulated.items():
            if columns:
                ctx.write(label, columns)
    return cases, opening


def _local_day(epoch: int, offset: int) -> int:
    return (epoch + offset) // DAY


def _regulated_rows(ctx, cust: _Customers, cases: list[dict], cutoff: int) -> dict[str, dict]:
    """A complaint's `Complaint` (received the day it was opened, its decision due 15 days later, its stage after
    the case: open while the case is, the decision delivered once resolved) and an emergency's `EmergencyIntake`."""
    j, offset = ctx.jurisdiction, ctx.book["utc_offset"]
    complaints = [c for c in cases if c["case_type_id"] == "complaint"]
    emergencies = [c for c in cases if c["case_type_id"] == "emergency"]
    out: dict[str, dict] = {"service.Complaint": {}, "service.EmergencyIntake": {}}
    if complaints:
        received = np.array([_local_day(c["opened_at"], offset) for c in complaints], dtype=np.int64)
        decided = [c["status"] in ("resolved", "closed") for c in complaints]
        review_last = [_local_day(c["resolved_at"] + COMPLAINT_DELIVERY, offset) + COMPLAINT_REVIEW_DAYS if d
                       else NO_DATE for c, d in zip(complaints, decided, strict=True)]
        out["service.Complaint"] = {
            "case_id": np.array([c["id"] for c in complaints], dtype=np.int64), "received_on": received,
            "stage": np.array(["delivered" if d else "open" for d in decided], dtype=object),
            "is_complex": False, "extension_days": 0, "decision_due": received + COMPLAINT_DECISION_DAYS,
            "extension_requested_days": None, "extension_reason": "", "extension_requested_by_id": None,
            "review_last_day": np.array(review_last, dtype=np.int64), "review_requested_on": None,
            "review_due": None,
        }
        out.update(_decisions(ctx, [(c, int(r)) for c, r, d in zip(complaints, received, decided, strict=True) if d]))
    if emergencies:
        out["service.EmergencyIntake"] = {
            "case_id": np.array([c["id"] for c in emergencies], dtype=np.int64),
            "location": np.array([_text(_EMERGENCY_PLACES[c["id"] % len(_EMERGENCY_PLACES)], j)
                                  for c in emergencies], dtype=object),
            "situation": np.array([c["subject"] for c in emergencies], dtype=object),
            "callback_phone": np.array([f"13{c['id'] % 10**9:09d}" for c in emergencies], dtype=object),
            "covered": np.array([bool(cust.policies[c["row"]]) for c in emergencies]),
            "cover": "[]",
        }
    return out


# A decided complaint's decision by category: (facts, decision, basis), each in Traditional, Simplified Chinese and
# English (the letter's language).
_DECISION_TEXTS = {
    "complaint_sales": (
        ("經查閱投保錄音錄影及業務員說明紀錄，投保時已說明主要條款，但對現金價值的說明不夠完整。",
         "经查阅投保录音录像及业务员说明记录，投保时已说明主要条款，但对现金价值的说明不够完整。",
         "The sales recording and the agent's notes show the main terms were explained, the cash values not fully."),
        ("本公司向您致歉，由分公司經理另行說明現金價值，並對業務員加強培訓；保單繼續有效。",
         "本公司向您致歉，由分公司经理另行说明现金价值，并对业务员加强培训；保单继续有效。",
         "We apologise; a branch manager will explain the cash values to you and the agent is retrained. The "
         "policy stays in force."),
        ("保險合同條款及本公司銷售行為管理辦法。", "保险合同条款及本公司销售行为管理办法。",
         "The policy conditions and the company's sales conduct rules.")),
    "complaint_service": (
        ("經核查來電錄音及櫃面紀錄，服務人員未及時回覆您的查詢。", "经核查来电录音及柜面记录，服务人员未及时回复您的查询。",
         "The call recordings and counter records show that your enquiry was not answered in time."),
        ("本公司向您致歉，已由專人回覆並跟進；相關人員已接受服務規範培訓。",
         "本公司向您致歉，已由专人回复并跟进；相关人员已接受服务规范培训。",
         "We apologise; a named person has answered and follows up, and the staff concerned have been retrained."),
        ("本公司客戶服務規範。", "本公司客户服务规范。", "The company's customer service standards.")),
    "complaint_claims": (
        ("經複核理賠材料及醫療紀錄，原理賠結論所依據的事實無誤。", "经复核理赔材料及医疗记录，原理赔结论所依据的事实无误。",
         "A second look at the claim documents and medical records confirms the facts the claim decision rests on."),
        ("維持原理賠結論，並已向您詳細說明計算方式。", "维持原理赔结论，并已向您详细说明计算方式。",
         "The claim decision stands; its calculation has been explained to you in detail."),
        ("保險合同責任條款及責任免除條款。", "保险合同责任条款及责任免除条款。",
         "The policy's benefit and exclusion clauses.")),
    "complaint_billing": (
        ("經核對銀行扣款紀錄，當期保費確有重複扣款。", "经核对银行扣款记录，当期保费确有重复扣款。",
         "The bank's debit records show that the premium was collected twice."),
        ("重複扣取的保費已全額退還至您的帳戶，並向您致歉。", "重复扣取的保费已全额退还至您的账户，并向您致歉。",
         "The premium collected twice has been refunded in full to your account. We apologise."),
        ("保險合同保費支付條款及自動轉帳授權。", "保险合同保费支付条款及自动转账授权。",
         "The policy's premium payment clause and the direct debit mandate.")),
}
_LETTER_LANGUAGES = ("zh-hant", "zh-hans", "en")
_DELIVERY_CHANNELS = (("post", 70), ("email", 20), ("hand", 10))


def _decisions(ctx, decided: list[tuple[dict, int]]) -> dict[str, dict]:
    """A decided complaint's decision (the first: no review in the generated history) on the day its case was
    resolved, its letter's print file composed as `complaint_decide` composes it, and the proof of its delivery
    COMPLAINT_DELIVERY later (registered post, e-mail or by hand, with its receipt reference). No query."""
    if not decided:
        return {}
    j, offset = ctx.jurisdiction, ctx.book["utc_offset"]
    customers = ctx.pending("parties.Customer")
    limits = limits_for(j)
    rights = {language: decision_rights("first", language, limits) for language in _LETTER_LANGUAGES}
    letter_ids = ctx.ids("notifications.Letter", len(decided))
    rows: dict[str, list] = {key: [] for key in (
        "key", "html", "recorded_on", "complaint_id", "facts", "decision", "basis", "rights", "language",
        "decided_at", "decided_on", "decided_by_id", "due", "on_time", "delivery_channel", "delivered_at",
        "delivery_reference", "delivery_recorded_by_id")}
    for case, received in decided:
        c = case["row"]
        language = case["language"] if case["language"] in _LETTER_LANGUAGES else content.language_for(
            _Addressee(customers, c), j)
        which = _LETTER_LANGUAGES.index(language)
        facts, decision, basis = (text[which] for text in _DECISION_TEXTS[case["category_id"]])
        decided_on = _local_day(case["resolved_at"], offset)
        due = received + COMPLAINT_DECISION_DAYS
        customer = _Addressee(customers, c)
        message = content.render(names=[MESSAGES + "complaint_decision_first"], language=language,
                                 parts=content.WRITTEN, context={
                                     "company": content.company_name(language),
                                     "salutation": content.salutation(customer, language), "number": case["number"],
                                     "subject": case["subject"],
                                     "received_on": content.format_date(date_of(received), language),
                                     "facts": facts, "decision": decision, "basis": basis,
                                     "rights": rights[language]})
        key = f"complaint-{case['number']}-first"
        channel = _weighted(_DELIVERY_CHANNELS, (case["id"] * 0.6180339887) % 1.0)[0]
        for name, value in (
                ("key", key), ("recorded_on", decided_on), ("complaint_id", case["id"]), ("facts", facts),
                ("decision", decision), ("basis", basis), ("rights", rights[language]), ("language", language),
                ("decided_at", case["resolved_at"]), ("decided_on", decided_on),
                ("decided_by_id", case["assignee_id"]), ("due", due), ("on_time", decided_on <= due),
                ("delivery_channel", channel), ("delivered_at", case["resolved_at"] + COMPLAINT_DELIVERY),
                ("delivery_reference", {"post": f"RR{case['id']:09d}{j}", "email": f"<{key}@lifecrm.invalid>",
                                        "hand": f"SIGNED-{case['number']}"}[channel]),
                ("delivery_recorded_by_id", case["assignee_id"]),
                ("html", letters.letter_html(message=message, recipient=content.salutation(customer, language),
                                             address=customer.address, postcode=customer.postcode,
                                             posted_on=date_of(decided_on),
                                             company=content.company_name(language)))):
            rows[name].append(value)
    integers = ("recorded_on", "complaint_id", "decided_at", "decided_on", "decided_by_id", "due", "delivered_at",
                "delivery_recorded_by_id")
    column = {name: np.array(values, dtype=np.int64 if name in integers else bool if name == "on_time" else object)
              for name, values in rows.items()}
    return {
        "notifications.Letter": {"id": letter_ids, "key": column["key"], "html": column["html"],
                                 "recorded_on": column["recorded_on"]},
        "service.ComplaintDecision": {
            "id": ctx.ids("service.ComplaintDecision", len(decided)), "kind": "first", "letter_id": letter_ids,
            **{name: column[name] for name in (
                "complaint_id", "facts", "decision", "basis", "rights", "language", "decided_at", "decided_on",
                "decided_by_id", "due", "on_time", "delivery_channel", "delivered_at", "delivery_reference",
                "delivery_recorded_by_id")}},
    }


@dataclass(frozen=True, slots=True)
class _Addressee:
    """A chunk customer's columns as `notifications.content` reads a customer (name, sex, language, address)."""

    columns: dict
    row: int

    def __getattr__(self, name: str):
        return self.columns[name][self.row]


def _seconds(value) -> int | None:
    return None if value is None else int(value.timestamp())


_DATETIMES = ("opened_at", "first_responded_at", "resolved_at", "closed_at", "response_due", "resolution_due")


def _column(key: str, values: list) -> np.ndarray:
    if key in _DATETIMES:
        return np.array(values, dtype=object) if None in values else np.array(values, dtype=np.int64)
    if isinstance(values[0], str):
        return np.array(values, dtype=object)
    return np.array(values, dtype=np.int64)


def _surveys(ctx, rng, cust: _Customers, start: np.ndarray, cutoff: int, cases: list[dict]) -> None:
    """The CSAT of each closed case (its handler credited) and the periodic NPS (the customer's agent),
    asked at most once in the survey interval: the later ones are recorded as not sent."""
    desk: DeskBook = ctx.book["service"]
    j = ctx.jurisdiction
    wanted = [("csat", case["row"], case["closed_at"], case) for case in cases
              if case["status"] == CaseStatus.CLOSED.value]
    # the daily NPS step's: each customer once a period, on a day of their own
    period = desk.nps_period_days
    phase = ctx.as_of_day - HISTORY_DAYS + rng.integers(0, period, len(cust.ids))
    for k in range(HISTORY_DAYS // period + 1):
        day = phase + k * period
        asked = np.nonzero((day >= start) & (day < ctx.as_of_day) & cust.adult)[0]
        at = day[asked] * DAY + 10 * HOUR - ctx.book["utc_offset"]
        wanted += [("nps", int(c), int(t), None) for c, t in zip(asked.tolist(), at.tolist(), strict=True)]
    wanted.sort(key=lambda w: (w[2], w[1], w[0]))
    ids = ctx.ids("service.Survey", len(wanted))
    draw = _Draws(rng, len(wanted), ("answer", "answer_at", "score", "comment"))
    last_sent: dict[int, int] = {}
    rows = []
    for i, (survey_id, (kind, c, sent_at, case)) in enumerate(zip(ids.tolist(), wanted, strict=True)):
        staff = case["assignee_id"] if case else int(cust.agent[c]) * (int(cust.agent[c]) in desk.staff_active)
        if staff:
            team, branch, path = desk.staff_team[staff] or 0, desk.staff_branch[staff], desk.staff_path[staff]
        else:
            branch = case["branch_id"] if case else int(cust.branch[c])
            team, path = 0, cust.path[c]
        prefers_email = cust.channel[c] in ("email", "portal")
        channel = ("email" if cust.email[c] and (prefers_email or not cust.mobile[c])
                   else "sms" if cust.mobile[c] else "")
        skip = ""
        previous = last_sent.get(c)
        if previous is not None and (sent_at - previous) // DAY < desk.survey_min_days:
            skip = "too_soon"
        elif not channel:
            skip = "no_contact"
        answered_at, score, comment = None, None, ""
        if not skip:
            last_sent[c] = sent_at
            if draw("answer", i) < (CSAT_ANSWERED if kind == "csat" else NPS_ANSWERED):
                answered_at = sent_at + 600 + int(draw("answer_at", i) * 3 * DAY)
                if answered_at > cutoff:
                    answered_at = None
                else:
                    weights = (NPS_WEIGHTS if kind == "nps" else COMPLAINT_CSAT_WEIGHTS
                               if case["case_type_id"] == "complaint" else CSAT_WEIGHTS)
                    score = _weighted(weights, draw("score", i))[0]
                    if kind == "csat" and score in _COMMENTS and draw("comment", i) < 0.4:
                        comment = _text(_COMMENTS[score], j)
        rows.append((survey_id, kind, "service.case" if case else "parties.customer",
                     case["id"] if case else int(cust.ids[c]), case["number"] if case else "", c,
                     "skipped" if skip else "sent", skip, staff, team, branch, path, sent_at,
                     "" if skip else channel, answered_at, score, comment))
    if not rows:
        return
    sent = np.array([r[6] == "sent" for r in rows])
    survey_ids = np.array([r[0] for r in rows], dtype=np.int64)
    row = np.array([r[5] for r in rows], dtype=np.int64)
    sent_at = np.array([r[12] for r in rows], dtype=np.int64)
    token = np.array([hashlib.sha256(f"lifecrm-seed-survey|{ctx.seed}|{i}".encode()).hexdigest() if s else None
                      for i, s in zip(survey_ids.tolist(), sent.tolist(), strict=True)], dtype=object)
    expires = np.where(sent, sent_at + desk.survey_valid_days * DAY, 0).astype(object)
    expires[~sent] = None
    answered = [r[14] for r in rows]
    ctx.write("service.Survey", {
        "id": survey_ids, "kind": np.array([r[1] for r in rows], dtype=object),
        "subject_kind": np.array([r[2] for r in rows], dtype=object),
        "subject_id": np.array([r[3] for r in rows], dtype=np.int64),
        "subject_label": np.array([r[4] for r in rows], dtype=object), "customer_id": cust.ids[row],
        "status": np.array([r[6] for r in rows], dtype=object), "skip_reason": np.array([r[7] for r in rows],
                                                                                         dtype=object),
        "staff_id": np.array([r[8] for r in rows], dtype=np.int64),
        "team_id": np.array([r[9] for r in rows], dtype=np.int64),
        "branch_id": np.array([r[10] for r in rows], dtype=np.int64),
        "served_path": np.array([r[11] for r in rows], dtype=object), "branch_path": cust.path[row],
        "agent_id": cust.agent[row], "sent_at": sent_at, "channel": np.array([r[13] for r in rows], dtype=object),
        "language": cust.language[row], "detail": "", "token_hash": token, "expires_at": expires,
        "answered_at": np.array(answered, dtype=object) if None in answered else np.array(answered, dtype=np.int64),
        "score": np.array([r[15] for r in rows], dtype=object),  # None: NULL (an NPS may be 0)
        "comment": np.array([r[16] for r in rows], dtype=object),
    })
