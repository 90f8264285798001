"""Book generator steps of the parties app: households, employers, referral chains, customers and consents."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecrm.core.generator import (
    NO_DATE,
    GeneratorContext,
    add_months,
    choice_weighted,
    cities,
    digits_str,
    encrypt_many,
    generator_step,
    keyed_hashes,
    name_pool,
    search_keys,
    uniform_int,
    unique_tail,
    utc_offset_seconds,
    utc_seconds,
)
from lifecrm.org.generator import OrgBook, draw_agents
from lifecrm.parties.generator_ids import hk_id_numbers, prc_id_numbers, tw_id_numbers, uscc_codes
from lifecrm.parties.search_keys import search_forms

# --- the shape of the book
# Share of customers that are organisations (employers).
ORGANISATION_SHARE = 0.004
# Household composition: the chance a primary adult has a spouse in the book, and the number of
# children by whether there is a spouse.
SPOUSE_SHARE = 0.62
CHILDREN_WITH_SPOUSE = (0.33, 0.40, 0.22, 0.05)  # P(0, 1, 2, 3 children)
CHILDREN_WITHOUT_SPOUSE = (0.88, 0.10, 0.02, 0.0)
# Age pyramid of primary adults at the as-of date, by five-year band from 20 (a book of buyers,
# fattest in their thirties and forties; nobody older than MAX_AGE).
AGE_BANDS = (20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70)
AGE_BAND_WEIGHTS = (4, 9, 13, 14, 13, 12, 11, 9, 7, 5, 3)
MAX_AGE = 74
# A customer's first purchase happens between these ages (the catalogue's usual issue ages) and
# within BOOK_YEARS before the as-of date, more often recently: the book grows BOOK_GROWTH a year.
MIN_FIRST_PURCHASE_AGE = 18
MAX_FIRST_PURCHASE_AGE = 60
BOOK_YEARS = 15
BOOK_GROWTH = 0.12
# Share of working-age adults employed by one of the book's organisations; share of households
# that were referred by an existing customer, and how often they then join the referrer's agent.
EMPLOYED_SHARE = 0.40
REFERRED_SHARE = 0.12
REFERRAL_KEEPS_AGENT = 0.7
REFERRAL_WINDOW = 200  # a referrer is one of the 200 customers who joined just before
# Customers live in their branch's city, except this share.
MOVED_AWAY_SHARE = 0.08
# Consents: granted on the application form, later changed by some.
MARKETING_GRANTED = 0.70
SENSITIVE_DATA_GRANTED = 0.98
MARKETING_WITHDRAWN_LATER = 0.10
MARKETING_GRANTED_LATER = 0.06

_OCCUPATIONS = """
教师 教師 1 6
会计 會計 1 5
公司职员 公司職員 1 18
工程师 工程師 1 7
医生 醫生 1 2
公务员 公務員 1 4
律师 律師 1 1
软件工程师 軟件工程師 1 4
销售经理 銷售經理 2 5
个体经营者 自僱人士 2 6
护士 護士 2 3
店员 店員 2 5
厨师 廚師 3 3
快递员 速遞員 3 3
电工 電工 3 2
出租车司机 計程車司機 4 2
货车司机 貨車司機 4 2
建筑工人 建築工人 4 3
焊工 焊工 5 1
高空作业人员 高空作業人員 5 0.5
矿工 礦工 6 0.4
消防员 消防員 6 0.3
"""
_SPECIAL_OCCUPATIONS = {"child": ("学龄前儿童", "學齡前兒童"), "student": ("学生", "學生"),
                        "retired": ("退休人员", "退休人士"), "homemaker": ("家庭主妇", "家庭主婦")}
# Income proxy by occupation class (multiplier on the jurisdiction's median income).
INCOME_BY_CLASS = (1.15, 1.0, 0.8, 0.75, 0.7, 0.7)
MEDIAN_INCOME = {"CN": 90_000.0, "HK": 260_000.0, "TW": 620_000.0}
TIER_ONE_CITIES = {"北京", "上海", "广州", "深圳", "香港島", "臺北"}
INCOME_SIGMA = 0.55

_STREETS = {
    "CN": "人民路 解放路 中山路 建设路 和平路 新华路 胜利路 朝阳路 长江路 黄河路 文化路 青年路 东风路 光明路 "
          "幸福路 团结路 友谊路 公园路 滨河路 学府路",
    "HK": "彌敦道 皇后大道中 軒尼詩道 英皇道 德輔道中 告士打道 太子道西 亞皆老街 青山公路 沙田正街 大河道 "
          "屯門鄉事會路 荔枝角道 觀塘道 西洋菜南街",
    "TW": "忠孝東路 仁愛路 信義路 和平東路 中山北路 民生東路 復興南路 敦化南路 文心路 中華路 博愛路 成功路 "
          "中正路 民族路 自由路",
}
_COMPOUNDS = "阳光花园 幸福小区 锦绣家园 金色家园 翠苑 和平里 明珠苑 碧水湾 滨江花园 世纪新城 绿地小区 南苑新村"
_AREA_CODES = {
    "北京": "010", "上海": "021", "广州": "020", "深圳": "0755", "杭州": "0571", "南京": "025", "成都": "028",
    "武汉": "027", "西安": "029", "重庆": "023", "天津": "022", "苏州": "0512", "青岛": "0532", "长沙": "0731",
    "郑州": "0371", "厦门": "0592", "臺北": "02", "新北": "02", "桃園": "03", "臺中": "04", "臺南": "06",
    "高雄": "07",
}
_MOBILE_PREFIXES = {
    "CN": "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 176 177 180 181 182 "
          "185 186 187 188 189 198 199".split(),
    "HK": "5 6 9".split(),
    "TW": ["09"],
}
_EMAIL_DOMAINS = {
    "CN": ("qq.com 163.com 126.com sina.com 139.com gmail.com outlook.com".split(), (30, 22, 10, 6, 6, 6, 6)),
    "HK": ("gmail.com yahoo.com.hk netvigator.com outlook.com hotmail.com".split(), (35, 20, 15, 15, 15)),
    "TW": ("gmail.com yahoo.com.tw hotmail.com msa.hinet.net outlook.com".split(), (40, 25, 12, 13, 10)),
}
_INDUSTRIES = """
科技 科技 Technology
贸易 貿易 Trading
实业 實業 Industrial
建设工程 建設工程 Construction
物流 物流 Logistics
医药 醫藥 Pharmaceutical
食品 食品 Food
电子 電子 Electronics
咨询 諮詢 Consulting
文化传媒 文化傳媒 Media
制造 製造 Manufacturing
餐饮管理 餐飲管理 Catering
"""
_HK_ID_LETTERS = ("ABCDEGHKMPRVYZ", (4, 1, 2, 2, 3, 2, 2, 5, 1, 7, 5, 3, 2, 3))
_LANGUAGE = {"CN": (("zh-hans", "en"), (0.97, 0.03)), "HK": (("zh-hant", "en"), (0.85, 0.15)),
             "TW": (("zh-hant", "en"), (0.97, 0.03))}
CHANNELS = ("sms", "phone", "email", "portal", "letter")


@dataclass
class PartiesChunk:
    """The persons of one chunk (index p), their households, and the chunk's organisations."""

    customer_count: int
    org_ids: np.ndarray
    ids: np.ndarray
    row: np.ndarray  # row of the person in the chunk's Customer columns
    sex: np.ndarray  # object 'M'/'F'
    birth: np.ndarray  # days
    household: np.ndarray  # chunk-local household index
    role: np.ndarray  # 0 primary adult, 1 spouse, 2 child
    spouse: np.ndarray  # person index or -1
    hh_first: np.ndarray  # per household: person index of the primary adult
    hh_size: np.ndarray
    hh_has_spouse: np.ndarray
    surname: np.ndarray  # index into the name pool
    name: np.ndarray
    household_income: np.ndarray  # per person: their household's annual income proxy
    occupation_class: np.ndarray
    branch: np.ndarray  # index into OrgBook.branch_ids
    agent: np.ndarray  # staff id (servicing agent)
    employer: np.ndarray  # customer id or 0
    since: np.ndarray  # hint: the day of the first application (the customer's created_at)
    referrer: np.ndarray  # person index or -1


def _draw_ages(rng: np.random.Generator, count: int) -> np.ndarray:
    bands = choice_weighted(rng, AGE_BAND_WEIGHTS, count)
    return np.minimum(np.array(AGE_BANDS)[bands] + rng.integers(0, 5, count), MAX_AGE)


def _birth_days(rng: np.random.Generator, ages: np.ndarray, as_of_day: int) -> np.ndarray:
    """A birth date giving exactly `ages` on the as-of date."""
    latest = add_months(np.full(len(ages), as_of_day), -12 * ages)
    earliest = add_months(np.full(len(ages), as_of_day), -12 * (ages + 1)) + 1
    return uniform_int(rng, earliest, latest)


def _since_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A day in [low, high], denser towards high: the book grows BOOK_GROWTH a year."""
    span = np.maximum(high - low, 0).astype(np.float64)
    rate = BOOK_GROWTH / 365.25
    u = rng.random(len(low))
    offset = np.log1p(u * np.expm1(rate * span)) / rate
    return np.minimum(low + np.floor(offset).astype(np.int64), np.maximum(high, low))


def _choose_sequence(rng, keys_of, count, seen: np.ndarray, attempts: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Draw serials until every identity key is new in the book; returns (serials, keys)."""
    serial = keys_of.draw(rng, np.arange(count))
    keys = keys_of.key(serial)
    for _ in range(attempts):
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        repeated = np.zeros(count, dtype=bool)
        repeated[order[1:][sorted_keys[1:] == sorted_keys[:-1]]] = True
        clash = repeated | np.isin(keys, seen)
        if not clash.any():
            return serial, keys
        rows = np.nonzero(clash)[0]
        serial[rows] = keys_of.draw(rng, rows)
        keys = keys_of.key(serial)
    raise RuntimeError("could not find unique identity numbers")


class _PrcSerials:
    def __init__(self, region: np.ndarray, birth: np.ndarray, male: np.ndarray) -> None:
        from lifecrm.core.generator import ymd

        y, m, d = ymd(birth)
        self.prefix = region.astype(np.int64) * 10**11 + (y * 10000 + m * 100 + d) * 1000
        self.male = male

    def draw(self, rng, rows):
        # the sequence's last digit is odd for men, even for women (GB 11643-1999)
        return rng.integers(0, 500, len(rows)) * 2 + self.male[rows]

    def key(self, serial):
        return self.prefix + serial


class _TableSerials:
    def __init__(self, prefix: np.ndarray, modulus: int, low: int = 0) -> None:
        self.prefix, self.modulus, self.low = prefix.astype(np.int64), modulus, low

    def draw(self, rng, rows):
        return rng.integers(self.low, self.modulus, len(rows))

    def key(self, serial):
        return self.prefix * self.modulus + serial


def identity_numbers(ctx: GeneratorContext, rng, *, birth, sex, region_code, district_city) -> tuple[np.ndarray, str]:
    """ID numbers of persons, unique in the book, consistent with birth date and sex."""
    seen = ctx.book.setdefault("parties.id_keys", np.zeros(0, dtype=np.int64))
    male = (sex == "M").astype(np.int64)
    if ctx.jurisdiction == "CN":
        serials = _PrcSerials(region_code, birth, male)
        sequence, keys = _choose_sequence(rng, serials, len(birth), seen)
        numbers, id_type = prc_id_numbers(region_code, birth, sequence), "prc_id"
    elif ctx.jurisdiction == "HK":
        letters = np.array([ord(c) - 55 for c in _HK_ID_LETTERS[0]])[
            choice_weighted(rng, _HK_ID_LETTERS[1], len(birth))]
        serials = _TableSerials(letters, 10**6)
        serial, keys = _choose_sequence(rng, serials, len(birth), seen)
        numbers, id_type = hk_id_numbers(letters, serial), "hk_id"
    else:
        letters = district_city
        codes = np.array([ord(c) for c in letters.tolist()], dtype=np.int64) * 10 + 2 - male
        serials = _TableSerials(codes, 10**7)
        serial, keys = _choose_sequence(rng, serials, len(birth), seen)
        numbers, id_type = tw_id_numbers(letters, 2 - male, serial), "tw_id"
    ctx.book["parties.id_keys"] = np.union1d(seen, keys)
    return numbers, id_type


@generator_step("parties.customers", after=["org.units"], per_chunk=True,
                writes=["parties.Customer", "parties.Relationship"])
def generate_customers(ctx: GeneratorContext) -> None:
    """Households of persons (age pyramid, spouses, children), employers and referral chains."""
    rng = ctx.rng()
    org: OrgBook = ctx.book["org"]
    jurisdiction = ctx.jurisdiction
    pool = name_pool(jurisdiction)
    city_list = cities(jurisdiction)
    as_of = ctx.as_of_day
    size = ctx.chunk.size
    n_org = min(max(1, round(size * ORGANISATION_SHARE)), max(size - 1, 0))
    n_persons = size - n_org

    # --- households, cut to exactly n_persons persons
    n_households = max(1, int(n_persons / 1.9) + 8)
    has_spouse = rng.random(n_households) < SPOUSE_SHARE
    n_children = np.where(has_spouse, choice_weighted(rng, CHILDREN_WITH_SPOUSE, n_households),
                          choice_weighted(rng, CHILDREN_WITHOUT_SPOUSE, n_households))
    hh_size = 1 + has_spouse + n_children
    while hh_size.sum() < n_persons:  # rare: too few households drawn
        hh_size = np.concatenate([hh_size, [1]])
        has_spouse = np.concatenate([has_spouse, [False]])
        n_children = np.concatenate([n_children, [0]])
    ends = np.cumsum(hh_size)
    n_households = int(np.searchsorted(ends, n_persons, side="left")) + 1
    hh_size = hh_size[:n_households].copy()
    hh_size[-1] -= int(ends[n_households - 1] - n_persons)
    has_spouse = has_spouse[:n_households] & (hh_size >= 2)
    hh_first = np.concatenate([[0], np.cumsum(hh_size)[:-1]])
    household = np.repeat(np.arange(n_households), hh_size)
    position = np.arange(n_persons) - hh_first[household]
    role = np.where(position == 0, 0, np.where((position == 1) & has_spouse[household], 1, 2))
    spouse = np.full(n_persons, -1)
    married = np.nonzero(has_spouse)[0]
    spouse[hh_first[married]] = hh_first[married] + 1
    spouse[hh_first[married] + 1] = hh_first[married]

    # --- sex, age, birth date
    primary_male = rng.random(n_households) < 0.52
    sex = np.where(rng.random(n_persons) < 0.51, "M", "F").astype(object)
    sex[role == 0] = np.where(primary_male, "M", "F")
    sex[role == 1] = np.where(primary_male[household[role == 1]], "F", "M")
    primary_age = _draw_ages(rng, n_households)
    age = np.zeros(n_persons, dtype=np.int64)
    age[role == 0] = primary_age
    sp_rows = np.nonzero(role == 1)[0]
    husband_older = np.where(sex[sp_rows] == "F", 2, -2)
    age[sp_rows] = np.clip(primary_age[household[sp_rows]] + husband_older + np.round(rng.normal(0, 3, len(sp_rows)))
                           .astype(np.int64), 20, MAX_AGE)
    child_rows = np.nonzero(role == 2)[0]
    mother_age = np.where(sex[hh_first[household[child_rows]]] == "F", age[hh_first[household[child_rows]]],
                          age[np.maximum(spouse[hh_first[household[child_rows]]], 0)])
    mother_age = np.where(has_spouse[household[child_rows]], mother_age, age[hh_first[household[child_rows]]])
    age[child_rows] = np.clip(mother_age - rng.integers(22, 38, len(child_rows)), 0, 40)
    birth = _birth_days(rng, age, as_of)
    birth = np.minimum(birth, as_of - 60)  # babies are at least two months old

    # --- names: children take the father's surname (sometimes the mother's)
    surname = pool.draw_surnames(rng, n_persons)
    father = np.where(sex[hh_first[household]] == "M", hh_first[household],
                      np.where(spouse[hh_first[household]] >= 0, spouse[hh_first[household]], hh_first[household]))
    takes_father = rng.random(n_persons) < 0.92
    surname[child_rows] = np.where(takes_father[child_rows], surname[father[child_rows]], surname[child_rows])
    name, romanised, search = pool.full_names(rng, sex, surname)

    # --- when each became a customer (the first application): households first, others after
    low_primary = np.maximum(as_of - round(BOOK_YEARS * 365.25) + 1,
                             add_months(birth, 12 * MIN_FIRST_PURCHASE_AGE))
    high_all = np.minimum(as_of - 30, add_months(birth, 12 * (MAX_FIRST_PURCHASE_AGE + 1)) - 1)
    since = np.zeros(n_persons, dtype=np.int64)
    prim_rows = hh_first
    since[prim_rows] = _since_days(rng, low_primary[prim_rows], high_all[prim_rows])
    joint = rng.random(len(sp_rows)) < 0.5
    low_sp = np.maximum(since[hh_first[household[sp_rows]]], low_primary[sp_rows])
    since[sp_rows] = np.where(joint, np.clip(since[hh_first[household[sp_rows]]], low_sp, high_all[sp_rows]),
                              uniform_int(rng, low_sp, high_all[sp_rows]))
    low_child = np.maximum(since[hh_first[household[child_rows]]], birth[child_rows] + 30)
    since[child_rows] = uniform_int(rng, low_child, np.maximum(high_all[child_rows], low_child))
    since = np.minimum(since, as_of - 30)

    # --- referral chains among primary adults: referrers joined shortly before the referred
    order = np.argsort(since[prim_rows], kind="stable")
    rank_of = np.empty(n_households, dtype=np.int64)
    rank_of[order] = np.arange(n_households)
    referred = (rng.random(n_households) < REFERRED_SHARE) & (rank_of > 0)
    back = uniform_int(rng, 1, np.minimum(rank_of, REFERRAL_WINDOW))
    referrer_hh = np.where(referred, order[np.maximum(rank_of - back, 0)], -1)
    referred &= referrer_hh >= 0
    referred[referred] &= since[prim_rows[referrer_hh[referred]]] < since[prim_rows[referred]]
    referrer_hh[~referred] = -1

    # --- branch, agent and address per household; referred households often keep the referrer's agent
    hh_branch = choice_weighted(rng, org.branch_weight, n_households)
    hh_agent = draw_agents(rng, org, hh_branch)
    source = np.arange(n_households)
    keeps = referred & (rng.random(n_households) < REFERRAL_KEEPS_AGENT)
    source[keeps] = referrer_hh[keeps]
    for _ in range(64):  # follow chains back to their first household (referrers joined earlier)
        nxt = source[source]
        if np.array_equal(nxt, source):
            break
        source = nxt
    hh_branch, hh_agent = hh_branch[source], hh_agent[source]
    hh_city = org.branch_city[hh_branch].copy()
    moved = rng.random(n_households) < MOVED_AWAY_SHARE
    hh_city[moved] = rng.integers(0, len(city_list), int(moved.sum()))
    hh_district = np.array([rng.integers(0, len(city_list[c].districts)) for c in hh_city.tolist()], dtype=np.int64)
    address, postcode, region_code, city_letter = _addresses(rng, jurisdiction, hh_city, hh_district)
    household_no = ctx.ids("parties.household", n_households)
    has_home_phone = rng.random(n_households) < 0.55
    home_phone = np.where(has_home_phone, _home_phones(jurisdiction, hh_city, household_no), "").astype(object)

    # --- organisations (employers) and their employees
    org_branch = choice_weighted(rng, org.branch_weight, n_org)
    org_agent = draw_agents(rng, org, org_branch)
    org_city = org.branch_city[org_branch]
    org_district = np.array([rng.integers(0, len(city_list[c].districts)) for c in org_city.tolist()], dtype=np.int64)
    org_address, org_postcode, org_region, _ = _addresses(rng, jurisdiction, org_city, org_district)
    customer_ids = ctx.ids("parties.Customer", size)
    org_ids, person_ids = customer_ids[:n_org], customer_ids[n_org:]
    working = (age >= 22) & (age < 60)
    employed = working & (rng.random(n_persons) < EMPLOYED_SHARE) & (n_org > 0)
    employer = np.zeros(n_persons, dtype=np.int64)
    if n_org:
        org_size_weight = rng.lognormal(0, 1.0, n_org)
        employer[employed] = org_ids[choice_weighted(rng, org_size_weight, int(employed.sum()))]

    # --- occupation, income proxy
    occupation, occupation_class, income = _occupations(rng, jurisdiction, age, role, sex, employed)
    tier_one = np.array([city_list[c].name in TIER_ONE_CITIES for c in hh_city.tolist()])
    hh_income = np.bincount(household, weights=income, minlength=n_households)
    hh_income = hh_income * np.where(tier_one, 1.35, 1.0)
    household_income = np.maximum(hh_income[household], MEDIAN_INCOME[jurisdiction] * 0.15)

    # --- contact data
    person_no = ctx.ids("parties.person", n_persons)
    prefixes = np.array(_MOBILE_PREFIXES[jurisdiction], dtype=object)
    tail_digits = {"CN": 8, "HK": 7, "TW": 8}[jurisdiction]
    mobile = prefixes[rng.integers(0, len(prefixes), n_persons)] + digits_str(
        unique_tail(person_no, 10**tail_digits, 123_457), tail_digits)
    mobile[age < 16] = ""
    domains, domain_weights = _EMAIL_DOMAINS[jurisdiction]
    domain = np.array(domains, dtype=object)[choice_weighted(rng, domain_weights, n_persons)]
    email_share = np.where(age >= 60, 0.3, 0.7)
    has_email = (rng.random(n_persons) < email_share) & (age >= 16)
    email = np.where(has_email, search + digits_str(person_no % 10000, 4) + "@" + domain, "").astype(object)
    languages, language_weights = _LANGUAGE[jurisdiction]
    language = np.array(languages, dtype=object)[choice_weighted(rng, language_weights, n_persons)]
    channel_weights = np.array([45, 20, 15, 12, 8], dtype=np.float64)
    channel = np.array(CHANNELS, dtype=object)[choice_weighted(rng, channel_weights, n_persons)]
    channel[(channel == "email") & ~has_email] = "sms"
    channel[(channel == "sms") & (mobile == "")] = "letter"

    numbers, id_type = identity_numbers(ctx, rng, birth=birth, sex=sex, region_code=_birth_regions(
        rng, jurisdiction, region_code[household]), district_city=city_letter[household])

    # --- created_at: the first application, during office hours, local time
    if "utc_offset" not in ctx.book:  # read once: per-chunk steps may run where the database is out of bounds
        ctx.book["utc_offset"] = utc_offset_seconds(jurisdiction, ctx.as_of)
    offset = ctx.book["utc_offset"]
    office_seconds = rng.integers(9 * 3600, 18 * 3600, n_persons)
    org_since = _since_days(rng, np.full(n_org, as_of - round(BOOK_YEARS * 365.25)), np.full(n_org, as_of - 30))

    trade = _trade_names(rng, jurisdiction, n_org, org_city)
    org_uscc = np.array(uscc_codes(org_region, unique_tail(ctx.ids("parties.organisation", n_org), 10**8, 31_337)),
                        dtype=object)
    all_numbers = np.concatenate([org_uscc, numbers])
    branch_of = np.concatenate([org_branch, hh_branch[household]])
    ctx.write("parties.Customer", {
        "id": customer_ids,
        "number": np.array([f"C{i:09d}" for i in customer_ids.tolist()], dtype=object),
        "kind": np.array(["organisation"] * n_org + ["person"] * n_persons, dtype=object),
        "name": np.concatenate([trade[0], name]),
        "name_romanised": np.concatenate([trade[1], romanised]),
        "name_search": np.concatenate([search_keys(trade[1]), search]),
        "sex": np.concatenate([np.full(n_org, "", dtype=object), sex]),
        "birth_date": np.concatenate([np.full(n_org, NO_DATE), birth]),
        "date_of_death": np.full(size, NO_DATE),
        "id_type": np.array(["uscc"] * n_org + [id_type] * n_persons, dtype=object),
        "id_number": np.array(encrypt_many(all_numbers.tolist()), dtype=object),
        "id_number_digest": np.array(keyed_hashes(all_numbers.tolist()), dtype=object),
        "id_number_last4": np.array([n[-4:] for n in all_numbers.tolist()], dtype=object),
        "mobile_phone": np.concatenate([np.full(n_org, "", dtype=object), mobile]),
        "home_phone": np.concatenate([_home_phones(jurisdiction, org_city, household_no[:n_org] + 7_000_000),
                                      home_phone[household]]),
        "email": np.concatenate([trade[2], email]),
        "address": np.concatenate([org_address, address[household]]),
        # what a search compares (parties.search_keys): addresses folded once per household
        "name_folded": search_forms(np.concatenate([trade[0], name])),
        "address_folded": np.concatenate([search_forms(org_address), search_forms(address)[household]]),
        "postcode": np.concatenate([org_postcode, postcode[household]]),
        "jurisdiction_id": jurisdiction,
        "preferred_language": np.concatenate([np.full(n_org, languages[0], dtype=object), language]),
        "preferred_channel": np.concatenate([np.full(n_org, "email", dtype=object), channel]),
        "occupation_class": np.concatenate([np.zeros(n_org, dtype=np.int64), occupation_class]),
        "occupation": np.concatenate([np.full(n_org, "", dtype=object), occupation]),
        "employer_id": np.concatenate([np.zeros(n_org, dtype=np.int64), employer]),
        "branch_id": org.branch_ids[branch_of],
        "servicing_agent_id": np.concatenate([org_agent, hh_agent[household]]),
        "branch_path": org.branch_paths[branch_of],
        "created_at": utc_seconds(np.concatenate([org_since, since]),
                                  np.concatenate([rng.integers(9 * 3600, 18 * 3600, n_org), office_seconds]), offset),
    })

    referrer = np.full(n_persons, -1)
    referrer[prim_rows[referred]] = prim_rows[referrer_hh[referred]]
    chunk = PartiesChunk(
        customer_count=size, org_ids=org_ids, ids=person_ids, row=np.arange(n_org, size), sex=sex, birth=birth,
        household=household, role=role, spouse=spouse, hh_first=hh_first, hh_size=hh_size,
        hh_has_spouse=has_spouse, surname=surname, name=name, household_income=household_income,
        occupation_class=occupation_class, branch=hh_branch[household], agent=hh_agent[household],
        employer=employer, since=since, referrer=referrer,
    )
    ctx.data["parties"] = chunk
    _write_relationships(ctx, rng, chunk, age)


def _write_relationships(ctx: GeneratorContext, rng, chunk: PartiesChunk, age: np.ndarray) -> None:
    """spouse (primary → spouse), parent (each adult → each child), employer (org → employee), referrer."""
    as_of = ctx.as_of_day
    ids, birth, household = chunk.ids, chunk.birth, chunk.household
    primaries = chunk.hh_first
    spouses = np.nonzero(chunk.role == 1)[0]
    sp_primary = primaries[household[spouses]]
    children = np.nonzero(chunk.role == 2)[0]
    first_child_birth = np.full(len(primaries), as_of)
    np.minimum.at(first_child_birth, household[children], birth[children])
    younger_birth = np.maximum(birth[sp_primary], birth[spouses])
    married_on = np.minimum(add_months(younger_birth, 12 * rng.integers(22, 31, len(spouses))),
                            np.minimum(first_child_birth[household[spouses]], as_of))
    married_on = np.maximum(married_on, add_months(younger_birth, 12 * 18))

    parents_of_child = [primaries[household[children]]]
    child_has_second = chunk.hh_has_spouse[household[children]]
    second_children = children[child_has_second]
    parents_of_child.append(primaries[household[second_children]] + 1)
    parent_from = np.concatenate(parents_of_child)
    parent_to = np.concatenate([children, second_children])

    employees = np.nonzero(chunk.employer > 0)[0]
    hired = uniform_int(rng, np.maximum(add_months(birth[employees], 12 * 22), as_of - 20 * 365),
                        np.full(len(employees), as_of - 30))
    referred = np.nonzero(chunk.referrer >= 0)[0]

    from_id = np.concatenate([ids[sp_primary], ids[parent_from], chunk.employer[employees],
                              ids[chunk.referrer[referred]]])
    to_id = np.concatenate([ids[spouses], ids[parent_to], ids[employees], ids[referred]])
    kind = np.array(["spouse"] * len(spouses) + ["parent"] * len(parent_from) + ["employer"] * len(employees)
                    + ["referrer"] * len(referred), dtype=object)
    since = np.concatenate([married_on, birth[parent_to], hired, chunk.since[referred]])
    order = np.lexsort((to_id, from_id))  # deterministic, grouped by the first customer
    ctx.write("parties.Relationship", {
        "id": ctx.ids("parties.Relationship", len(from_id)),
        "from_customer_id": from_id[order], "to_customer_id": to_id[order], "kind": kind[order],
        "since": since[order],
    })
    ctx.data["parties.referral_rows"] = np.nonzero(kind[order] == "referrer")[0], to_id[order][kind[order] == "referrer"]


def _occupations(rng, jurisdiction: str, age, role, sex, employed):
    rows = [line.split() for line in _OCCUPATIONS.strip().splitlines()]
    script = 0 if jurisdiction == "CN" else 1
    names = np.array([r[script] for r in rows], dtype=object)
    classes = np.array([int(r[2]) for r in rows])
    weights = np.array([float(r[3]) for r in rows])
    pick = choice_weighted(rng, weights, len(age))
    occupation = names[pick]
    occupation_class = classes[pick].copy()
    special = {k: v[script] for k, v in _SPECIAL_OCCUPATIONS.items()}
    homemaker = (role == 1) & (sex == "F") & ~employed & (rng.random(len(age)) < 0.25)
    occupation[homemaker] = special["homemaker"]
    occupation[age >= 60] = special["retired"]
    occupation[age < 22] = special["student"]
    occupation[age < 6] = special["child"]
    not_working = homemaker | (age >= 60) | (age < 22)
    occupation_class[not_working] = 1
    median = MEDIAN_INCOME[jurisdiction]
    age_factor = np.interp(age, [18, 25, 35, 45, 55, 60, 75], [0.5, 0.8, 1.1, 1.25, 1.15, 0.7, 0.5])
    income = median * np.array(INCOME_BY_CLASS)[occupation_class - 1] * age_factor * rng.lognormal(
        0, INCOME_SIGMA, len(age))
    income[not_working] *= 0.25
    income[age < 22] = 0.0
    return occupation, occupation_class, income


def _addresses(rng, jurisdiction: str, city_index: np.ndarray, district_index: np.ndarray):
    """(address, postcode, district code as int (CN), city letter (TW)) per row."""
    city_list = cities(jurisdiction)
    count = len(city_index)
    streets = np.array(_STREETS[jurisdiction].split(), dtype=object)
    street = streets[rng.integers(0, len(streets), count)]
    number = rng.integers(1, 400, count)
    floor = rng.integers(1, 33, count)
    room = rng.integers(1, 9, count)
    prefix = np.array([c.prefix for c in city_list], dtype=object)[city_index]
    district = np.array([city_list[c].districts[d][0] for c, d in zip(city_index.tolist(), district_index.tolist(),
                                                                       strict=True)], dtype=object)
    codes = [city_list[c].districts[d][1] for c, d in zip(city_index.tolist(), district_index.tolist(), strict=True)]
    postcode = np.array([city_list[c].districts[d][2] for c, d in zip(city_index.tolist(), district_index.tolist(),
                                                                        strict=True)], dtype=object)
    if jurisdiction == "CN":
        compounds = np.array(_COMPOUNDS.split(), dtype=object)
        compound = compounds[rng.integers(0, len(compounds), count)]
        building = rng.integers(1, 30, count)
        address = np.array([
            f"{p}{d}{s}{n}号{c}{b}栋{f}{r:02d}室" for p, d, s, n, c, b, f, r in zip(
                prefix.tolist(), district.tolist(), street.tolist(), number.tolist(), compound.tolist(),
                building.tolist(), floor.tolist(), room.tolist(), strict=True)
        ], dtype=object)
        return address, postcode, np.array([int(c) for c in codes], dtype=np.int64), np.full(count, "", dtype=object)
    if jurisdiction == "HK":
        address = np.array([
            f"{p}{d}{s}{n}號{f}樓{'ABCDEFGH'[r - 1]}室" for p, d, s, n, f, r in zip(
                prefix.tolist(), district.tolist(), street.tolist(), number.tolist(), floor.tolist(), room.tolist(),
                strict=True)
        ], dtype=object)
        return address, np.full(count, "", dtype=object), np.zeros(count, dtype=np.int64), np.full(count, "", dtype=object)
    section = rng.integers(0, 4, count)
    address = np.array([
        f"{p}{d}{s}{'' if sec == 0 else '一二三'[sec - 1] + '段'}{n}號{f}樓" for p, d, s, sec, n, f in zip(
            prefix.tolist(), district.tolist(), street.tolist(), section.tolist(), number.tolist(), floor.tolist(),
            strict=True)
    ], dtype=object)
    return address, postcode, np.zeros(count, dtype=np.int64), np.array(codes, dtype=object)


def _birth_regions(rng, jurisdiction: str, home_region: np.ndarray) -> np.ndarray:
    """Where each person was born (the ID's region code): mostly where they live."""
    if jurisdiction != "CN":
        return home_region
    all_codes = np.array([int(d[1]) for c in cities("CN") for d in c.districts], dtype=np.int64)
    born_elsewhere = rng.random(len(home_region)) < 0.3
    region = home_region.copy()
    region[born_elsewhere] = all_codes[rng.integers(0, len(all_codes), int(born_elsewhere.sum()))]
    return region


def _home_phones(jurisdiction: str, city_index: np.ndarray, household_no: np.ndarray) -> np.ndarray:
    city_list = cities(jurisdiction)
    tail = unique_tail(household_no, 10**7, 987_651)
    if jurisdiction == "HK":
        return np.where(tail % 2 == 0, "2", "3").astype(object) + digits_str(tail, 7)
    area = np.array([_AREA_CODES.get(c.name, "0") for c in city_list], dtype=object)[city_index]
    lead = (2 + tail % 7).astype(str).astype(object)
    return area + lead + digits_str(tail, 7)


def _trade_names(rng, jurisdiction: str, count: int, city_index: np.ndarray):
    """(name, romanised name, e-mail) of organisations: city + two-character trade name + industry."""
    pool = name_pool(jurisdiction)
    rows = [line.split() for line in _INDUSTRIES.strip().splitlines()]
    script = 0 if jurisdiction == "CN" else 1
    industry = rng.integers(0, len(rows), count)
    given = rng.integers(0, len(pool.given["M"]), count)
    trade = pool.given["M"][given]
    trade_roman = pool.given_romanised["M"][given]
    city_list = cities(jurisdiction)
    names, romans, emails = [], [], []
    suffix, suffix_en = ("有限公司", "Co., Ltd.") if jurisdiction == "CN" else ("有限公司", "Limited")
    for c, t, tr, i in zip(city_index.tolist(), trade.tolist(), trade_roman.tolist(), industry.tolist(), strict=True):
        city = city_list[c]
        place = city.name if jurisdiction == "CN" else ""
        names.append(f"{place}{t}{rows[i][script]}{suffix}")
        roman = tr.strip()
        romans.append(f"{city.name_en + ' ' if place else ''}{roman} {rows[i][2]} {suffix_en}")
        emails.append(f"info@{roman.lower().replace(' ', '').replace('-', '')}{rows[i][2].lower()}.com")
    return np.array(names, dtype=object), np.array(romans, dtype=object), np.array(emails, dtype=object)


@generator_step("parties.consents", after=["parties.customers"], per_chunk=True, writes=["parties.Consent"])
def generate_consents(ctx: GeneratorContext) -> None:
    """Marketing and sensitive-data consents from the application form; later withdrawals and grants."""
    rng = ctx.rng()
    chunk: PartiesChunk = ctx.data["parties"]
    customers = ctx.pending("parties.Customer")
    created = customers["created_at"]
    n_all = chunk.customer_count
    as_of_seconds = (ctx.as_of_day + 1) * 86400 - ctx.book["utc_offset"] - 1
    is_person = np.zeros(n_all, dtype=bool)
    is_person[chunk.row] = True
    agent = customers["servicing_agent_id"]

    rows = np.arange(n_all)
    marketing = rng.random(n_all) < MARKETING_GRANTED
    sensitive = rng.random(n_all) < SENSITIVE_DATA_GRANTED
    changes = np.where(marketing, rng.random(n_all) < MARKETING_WITHDRAWN_LATER,
                       rng.random(n_all) < MARKETING_GRANTED_LATER)
    change_rows = np.nonzero(changes & (created < as_of_seconds - 86400 * 7))[0]
    change_at = uniform_int(rng, created[change_rows] + 86400 * 7, np.full(len(change_rows), as_of_seconds))
    change_source = np.array(["portal", "phone", "sms", "agent", "counter"], dtype=object)[
        choice_weighted(rng, (30, 25, 15, 20, 10), len(change_rows))]
    person_rows = rows[is_person]

    customer_row = np.concatenate([rows, person_rows, change_rows])
    purpose = np.array(["marketing"] * n_all + ["sensitive_data"] * len(person_rows) + ["marketing"] * len(change_rows),
                       dtype=object)
    granted = np.concatenate([marketing, sensitive[person_rows], ~marketing[change_rows]])
    at = np.concatenate([created, created[person_rows], change_at])
    source = np.concatenate([np.full(n_all + len(person_rows), "application", dtype=object), change_source])
    recorded_by = np.where(np.isin(source, ["application", "agent"]), agent[customer_row], 0)
    order = np.lexsort((at, customer_row))
    ctx.write("parties.Consent", {
        "id": ctx.ids("parties.Consent", len(customer_row)),
        "customer_id": customers["id"][customer_row[order]],
        "purpose": purpose[order],
        "granted": granted[order],
        "at": at[order],
        "source": source[order],
        "recorded_by_id": recorded_by[order].astype(np.int64),
    })
    ctx.data["parties.consent_rows"] = customer_row[order], source[order] == "application"


def rebase_since(ctx: GeneratorContext, rows: np.ndarray, created_seconds: np.ndarray) -> None:
    """Move customers' created_at (chunk rows) and what follows from it: application consents, referrals."""
    customers = ctx.pending("parties.Customer")
    customers["created_at"][rows] = created_seconds
    consent_rows = ctx.data.get("parties.consent_rows")
    if consent_rows is not None:
        consents = ctx.pending("parties.Consent")
        customer_row, initial = consent_rows
        new_created = customers["created_at"][customer_row]
        consents["at"] = np.where(initial, new_created, np.maximum(consents["at"], new_created + 86400))
    referral = ctx.data.get("parties.referral_rows")
    if referral is not None:
        relationships = ctx.pending("parties.Relationship")
        positions, to_id = referral
        offset = ctx.book["utc_offset"]
        first_id = customers["id"][0]
        relationships["since"][positions] = (customers["created_at"][to_id - first_id] + offset) // 86400


def record_deaths(ctx: GeneratorContext, rows: np.ndarray, days: np.ndarray) -> None:
    """Set Customer.date_of_death of the chunk rows."""
    ctx.pending("parties.Customer")["date_of_death"][rows] = days
