"""Book generator step of the org app: HQ → branches → teams, sales agents and branch staff sized to the book."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lifecrm.core.generator import (
    GeneratorContext,
    choice_weighted,
    cities,
    digits_str,
    generator_step,
    name_pool,
    unique_tail,
)

# Sizing of the sales force (a book of N customers): one agent per CUSTOMERS_PER_AGENT customers,
# teams of AGENTS_PER_TEAM agents, branches of TEAMS_PER_BRANCH teams, never fewer than MIN_BRANCHES.
CUSTOMERS_PER_AGENT = 150
AGENTS_PER_TEAM = 8
TEAMS_PER_BRANCH = 6
MIN_BRANCHES = 2
# Share of agents who have left (inactive) but still hold their book (orphan customers).
INACTIVE_AGENT_SHARE = 0.03
# Agents' productivity is uneven: book shares follow a lognormal with this sigma.
AGENT_BOOK_SIGMA = 0.6

_WORDS = {
    "CN": {"hq": "总公司", "branch": "分公司", "team": "营销{}组", "hq_city": "北京"},
    "HK": {"hq": "總公司", "branch": "分區", "team": "營業{}組", "hq_city": "香港島"},
    "TW": {"hq": "總公司", "branch": "分公司", "team": "業務{}組", "hq_city": "臺北"},
}
_ORDINALS = "一二三四五六七八九十"


@dataclass
class OrgBook:
    """The generated org chart, as arrays the later steps draw from."""

    hq_id: int
    branch_ids: np.ndarray
    branch_paths: np.ndarray  # object
    branch_city: np.ndarray  # index into core.generator.cities(jurisdiction)
    branch_weight: np.ndarray  # share of customers
    agent_ids: np.ndarray
    agent_branch: np.ndarray  # index into branch_ids
    agent_weight: np.ndarray  # relative book size
    counter_ids: np.ndarray
    counter_branch: np.ndarray

    def agents_of_branch(self, branch_index: int) -> np.ndarray:
        return np.nonzero(self.agent_branch == branch_index)[0]


def plan_sizes(customers: int) -> tuple[int, int, int]:
    """(branches, teams, agents) for a book of `customers`."""
    agents = max(math.ceil(customers / CUSTOMERS_PER_AGENT), MIN_BRANCHES)
    teams = max(math.ceil(agents / AGENTS_PER_TEAM), MIN_BRANCHES)
    branches = max(math.ceil(teams / TEAMS_PER_BRANCH), MIN_BRANCHES)
    return branches, teams, agents


def _branch_names(jurisdiction: str, count: int) -> tuple[list[str], list[str], list[int], list[str]]:
    city_list = cities(jurisdiction)
    words = _WORDS[jurisdiction]
    names, names_en, city_index, codes = [], [], [], []
    for i in range(count):
        c = i % len(city_list)
        repeat = i // len(city_list)
        ordinal = "" if repeat == 0 else (
            "第" + (_ORDINALS[repeat] if repeat < len(_ORDINALS) else str(repeat + 1))
        )
        names.append(f"{city_list[c].name}{ordinal}{words['branch']}")
        names_en.append(f"{city_list[c].name_en} branch" + (f" {repeat + 1}" if repeat else ""))
        city_index.append(c)
        codes.append(f"BR{i + 1:03d}")
    return names, names_en, city_index, codes


@generator_step("org.units", writes=["org.OrgUnit", "org.Staff"])
def generate_org(ctx: GeneratorContext) -> None:
    """HQ, branches and teams with explicit ids and materialised paths; agents in teams; branch staff."""
    rng = ctx.rng()
    jurisdiction = ctx.jurisdiction
    words = _WORDS[jurisdiction]
    city_list = cities(jurisdiction)
    n_branches, n_teams, n_agents = plan_sizes(ctx.customers)

    unit_ids = ctx.ids("org.OrgUnit", 1 + n_branches + n_teams)
    hq_id = int(unit_ids[0])
    branch_ids = unit_ids[1 : 1 + n_branches]
    team_ids = unit_ids[1 + n_branches :]
    branch_names, branch_names_en, branch_city, branch_codes = _branch_names(jurisdiction, n_branches)
    branch_paths = np.array([f"/{hq_id}/{b}/" for b in branch_ids.tolist()], dtype=object)
    # Teams go round the branches so every branch has about the same number.
    team_branch = np.arange(n_teams) % n_branches
    team_number = np.arange(n_teams) // n_branches + 1
    team_paths = branch_paths[team_branch] + np.array([f"{t}/" for t in team_ids.tolist()], dtype=object)

    hq_city = next((c.name for c in city_list if c.name == words["hq_city"]), city_list[0].name)
    ctx.write("org.OrgUnit", {
        "id": unit_ids,
        "code": ["HQ"] + branch_codes + [f"{branch_codes[b]}-T{n:02d}" for b, n in
                                         zip(team_branch.tolist(), team_number.tolist(), strict=True)],
        "name": [words["hq"]] + branch_names + [
            branch_names[b] + words["team"].format(n) for b, n in zip(team_branch.tolist(), team_number.tolist(),
                                                                      strict=True)
        ],
        "name_en": ["Head office"] + branch_names_en + [
            f"{branch_names_en[b]} team {n}" for b, n in zip(team_branch.tolist(), team_number.tolist(), strict=True)
        ],
        "kind": ["hq"] + ["branch"] * n_branches + ["team"] * n_teams,
        "parent_id": np.concatenate([[0], np.full(n_branches, hq_id), branch_ids[team_branch]]).astype(np.int64),
        "path": [f"/{hq_id}/"] + branch_paths.tolist() + team_paths.tolist(),
        "jurisdiction_id": jurisdiction,
        "city": [hq_city] + [city_list[c].name for c in branch_city] + [
            city_list[branch_city[b]].name for b in team_branch.tolist()
        ],
    })

    # Staff: agents in teams; per branch a manager, counter staff, a call-centre agent and claims
    # handlers; HQ service management and the central call centre at HQ.
    agent_team = np.arange(n_agents) % n_teams
    agent_branch = team_branch[agent_team]
    agent_units = team_ids[agent_team]
    counters_per_branch = 2 + n_agents // (40 * n_branches)
    claims_per_branch = 1 + n_agents // (60 * n_branches)
    branch_staff_roles = (["branch"] + ["counter"] * counters_per_branch + ["callcentre"]
                          + ["claims"] * claims_per_branch)
    n_callcentre = 2 + ctx.customers // 20_000  # the central call centre (95xxx line) at HQ
    roles = (["hq"] * 3 + ["callcentre"] * n_callcentre + branch_staff_roles * n_branches + ["agent"] * n_agents)
    units = np.concatenate([
        np.full(3 + n_callcentre, hq_id),
        np.repeat(branch_ids, len(branch_staff_roles)),
        agent_units,
    ]).astype(np.int64)
    staff_branch = np.concatenate([
        np.full(3 + n_callcentre, -1), np.repeat(np.arange(n_branches), len(branch_staff_roles)), agent_branch,
    ])
    n_staff = len(roles)
    staff_ids = ctx.ids("org.Staff", n_staff)
    sex = np.where(rng.random(n_staff) < 0.55, "F", "M").astype(object)
    name, romanised, _ = name_pool(jurisdiction).full_names(rng, sex)
    phone_tail = unique_tail(staff_ids, 10**7, 4_242_001)
    prefix = {"CN": "1391", "HK": "6", "TW": "093"}[jurisdiction]
    active = np.ones(n_staff, dtype=bool)
    is_agent = np.array(roles, dtype=object) == "agent"
    active[is_agent] = rng.random(int(is_agent.sum())) >= INACTIVE_AGENT_SHARE
    ctx.write("org.Staff", {
        "id": staff_ids,
        "employee_no": np.array([f"E{i:07d}" for i in staff_ids.tolist()], dtype=object),
        "name": name,
        "name_romanised": romanised,
        "role": roles,
        "org_unit_id": units,
        "phone": prefix + digits_str(phone_tail, 7),
        # blank: the jurisdiction's language; in Hong Kong one in ten prefers English (no draw: the stream stays)
        "preferred_language": np.where((staff_ids % 10 == 0) & (jurisdiction == "HK"), "en", "").astype(object),
        "is_active": active,
    })

    agent_ids = staff_ids[is_agent]
    agent_weight = rng.lognormal(0.0, AGENT_BOOK_SIGMA, n_agents)
    branch_weight = np.bincount(agent_branch, weights=agent_weight, minlength=n_branches)
    counter_rows = np.array(roles, dtype=object) == "counter"
    ctx.book["org"] = OrgBook(
        hq_id=hq_id,
        branch_ids=branch_ids,
        branch_paths=branch_paths,
        branch_city=np.array(branch_city),
        branch_weight=branch_weight / branch_weight.sum(),
        agent_ids=agent_ids,
        agent_branch=agent_branch,
        agent_weight=agent_weight,
        counter_ids=staff_ids[counter_rows],
        counter_branch=staff_branch[counter_rows],
    )


def draw_agents(rng: np.random.Generator, org: OrgBook, branch_index: np.ndarray) -> np.ndarray:
    """An agent (staff id) of each given branch, busier agents more often."""
    result = np.zeros(len(branch_index), dtype=np.int64)
    for b in np.unique(branch_index).tolist():
        rows = np.nonzero(branch_index == b)[0]
        agents = org.agents_of_branch(b)
        picks = choice_weighted(rng, org.agent_weight[agents], len(rows))
        result[rows] = org.agent_ids[agents[picks]]
    return result
