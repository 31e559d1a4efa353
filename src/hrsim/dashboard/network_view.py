"""The network panel: a fixed sample of people at fixed places, their ties, and what just happened.

A picture of 2,000 people and 10,000 ties is a grey blur, so above ``max_people`` the panel
shows whole neighbourhoods (the model's ``community_size`` blocks of rows, inside which most
ties form) up to a few hundred people. Rows keep their place: when someone dies, a later
initiate takes a free row (the lowest first), in the same spot. The model has spare rows
(``demography.row_headroom``) for a population that grows, so rows are not people: the
caption counts the living. Each neighbourhood is a ring, laid
out on a grid, so ties inside it are chords and ties between neighbourhoods are long lines.

The view reads the model's arrays and tie layers directly (not ``model.agents``/``space``,
which would build a Python object per person every week). Overdoses and deaths come from the
event log; they stay on the picture for ``MARK_WEEKS`` weeks, fading, so they can be seen.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from hrsim.core.network import LAYERS
from hrsim.core.states import STATE_NAMES, Care
from hrsim.dashboard import palette
from hrsim.dashboard.vega import Figure, base, label_expr
from hrsim.model import HarmReductionModel

MAX_PEOPLE = 300
MARK_WEEKS = 4  # weeks an overdose or death stays marked
# Event mark -> (legend label, shape, colour). Deaths are filled crosses, overdoses open rings.
MARKS: dict[str, tuple[str, str, str]] = {
    "overdose_survived": ("Overdose, survived", "circle", palette.OVERDOSE),
    "overdose_reversed": ("Overdose reversed (naloxone or staff)", "diamond", palette.OVERDOSE),
    "overdose_death": ("Died of overdose", "cross", palette.DEAD),
    "other_death": ("Died, other cause", "cross", palette.GREY),
}
_MARK_CODES = {name: i + 1 for i, name in enumerate(MARKS)}  # 0 = nothing
WIDTH, HEIGHT = 620, 430


def sample_rows(n: int, community_size: int, max_people: int = MAX_PEOPLE) -> np.ndarray:
    """Rows to draw: everyone if few, else whole neighbourhoods up to ``max_people``."""
    if n <= max_people:
        return np.arange(n)
    if community_size <= max_people:
        return np.arange((max_people // community_size) * community_size)
    return np.arange(max_people)


def ring_layout(rows: np.ndarray, community_size: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y in [0, 1] for each row: one ring per neighbourhood, rings on a grid."""
    groups = rows // community_size
    ids, index = np.unique(groups, return_inverse=True)
    k = ids.size
    cols = max(1, math.ceil(math.sqrt(k * WIDTH / HEIGHT)))
    nrows = math.ceil(k / cols)
    cx = (index % cols + 0.5) / cols
    cy = (index // cols + 0.5) / nrows
    radius = 0.38 * min(1.0 / cols, 1.0 / nrows)
    # Place within the ring by order in the neighbourhood.
    pos = rows - groups * community_size
    size = np.bincount(index)[index]
    angle = 2 * np.pi * pos / np.maximum(size, 1)
    return cx + radius * np.cos(angle) * HEIGHT / WIDTH, cy + radius * np.sin(angle)


_PERSON_FIELDS = ("age", "weeks", "injects", "hiv", "hcv", "naloxone")  # a living person's


class NetworkView:
    """The sample, its layout, recent events, and the Vega-Lite spec of the panel."""

    def __init__(self, model: HarmReductionModel, max_people: int = MAX_PEOPLE) -> None:
        size = model.scenario.network.community_size
        self.rows = sample_rows(model.people.n, size, max_people)
        self.x, self.y = ring_layout(self.rows, size)
        self.in_sample = np.zeros(model.people.n, dtype=bool)
        self.in_sample[self.rows] = True
        # Recent events per sampled person: a mark code and the week it happened.
        self.mark = np.zeros(self.rows.size, dtype=np.int8)
        self.mark_week = np.zeros(self.rows.size, dtype=np.int64)
        self.neighbourhoods = int(np.unique(self.rows // size).size)

    # -- events ----------------------------------------------------------------------------
    def observe(self, model: HarmReductionModel) -> None:
        """Note this week's overdoses and deaths among the sample (call after every step)."""
        week = model.week
        pids = model.people.pid[self.rows]
        order = np.argsort(pids)
        for kind in ("overdose", "death"):  # a death outranks an overdose survived that week
            who, details = model.events.since(week, kind)
            if who.size == 0:
                continue
            at = np.searchsorted(pids[order], who)
            at = np.minimum(at, pids.size - 1)
            hit = pids[order][at] == who
            for slot, detail in zip(order[at][hit], np.asarray(details)[hit], strict=True):
                self.mark[slot] = _MARK_CODES[_mark_for(kind, str(detail))]
                self.mark_week[slot] = week

    # -- drawing ---------------------------------------------------------------------------
    def nodes(self, model: HarmReductionModel) -> list[dict[str, Any]]:
        """One record per sampled row: place, state, what a tooltip shows, recent event."""
        p, rows, week = model.people, self.rows, model.week
        state = p.state[rows]
        age = week - self.mark_week
        recent = (self.mark > 0) & (age < MARK_WEEKS)
        mark_names = ["", *MARKS]
        out = []
        for i, (x, y, s, pid, a, inj, hiv, hcv, kit, wk) in enumerate(
            zip(
                self.x.round(4).tolist(),
                self.y.round(4).tolist(),
                state.tolist(),
                p.pid[rows].tolist(),
                p.age[rows].round(0).astype(int).tolist(),
                p.injects[rows].tolist(),
                p.hiv[rows].tolist(),
                p.hcv[rows].tolist(),
                p.carries_naloxone[rows].tolist(),
                p.weeks_in_state[rows].tolist(),
                strict=True,
            )
        ):
            living = s < Care.DEAD
            record: dict[str, Any] = {
                "i": i,
                "x": x,
                "y": y,
                "state": STATE_NAMES[s] if living else "gone",
                "person": pid,
            }
            if living:
                record.update(
                    age=a,
                    weeks=wk,
                    injects="yes" if inj else "no",
                    hiv="yes" if hiv else "no",
                    hcv="yes" if hcv else "no",
                    naloxone="yes" if kit else "no",
                )
            else:  # the row's person died or left: every tooltip field says so, none "undefined"
                record.update(dict.fromkeys(_PERSON_FIELDS, "-"))
            if recent[i]:
                record["event"] = mark_names[self.mark[i]]
                record["what"] = MARKS[record["event"]][0]
                record["fade"] = round(1.0 - age[i] / MARK_WEEKS, 2)
                record["when"] = "this week" if age[i] == 0 else f"{age[i]} weeks ago"
            out.append(record)
        return out

    def edges(self, model: HarmReductionModel) -> list[dict[str, Any]]:
        """Ties with both ends in the sample and alive: ``{"s": node, "t": node, "k": layer}``.

        Ends are node numbers (the order of :meth:`nodes`) and the layer is its index in
        ``LAYERS``: the browser looks the places up, which keeps each week's message small.
        """
        alive = model.people.alive
        slot = np.full(model.people.n, -1, dtype=np.int64)
        slot[self.rows] = np.arange(self.rows.size)
        out: list[dict[str, Any]] = []
        for k, name in enumerate(LAYERS):
            a, b = model.network.layers[name].ties_of(self.rows)
            keep = (a < b) & self.in_sample[b] & alive[a] & alive[b]
            out.extend(
                {"s": s, "t": t, "k": k}
                for s, t in zip(slot[a[keep]].tolist(), slot[b[keep]].tolist(), strict=True)
            )
        return out

    def caption(self, model: HarmReductionModel) -> str:
        """What the panel shows, in a sentence: living people (rows include spare ones)."""
        alive = model.people.alive
        everyone = int(np.count_nonzero(alive))
        if not alive[~self.in_sample].any():
            return f"All {everyone:,} people. Hover over a person for details."
        n = int(np.count_nonzero(alive[self.rows]))
        return (
            f"A sample of {n:,} of {everyone:,} people: {self.neighbourhoods} whole "
            "neighbourhoods (most ties form inside one). Hover over a person for details."
        )

    def figure(self, model: HarmReductionModel) -> Figure:
        """The panel as a Vega-Lite figure (the spec is the same every week)."""
        x = {"field": "x", "type": "quantitative", "axis": None, "scale": {"domain": [0, 1]}}
        y = {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": [1, 0]}}
        nodes = self.nodes(model)
        events = [n for n in nodes if "event" in n]
        spec = base(
            fit="aspect",
            width=WIDTH,
            height=HEIGHT,
            view={"stroke": None},
            resolve={"scale": dict.fromkeys(("color", "shape", "strokeDash"), "independent")},
            layer=[
                _edge_layer(x, y),
                _node_layer(x, y),
                _event_layer(x, y, death=False),
                _event_layer(x, y, death=True),
            ],
        )
        return Figure(
            spec,
            {
                "edges": self.edges(model),
                "nodes": nodes,
                "overdoses": [n for n in events if not n["event"].endswith("death")],
                "deaths": [n for n in events if n["event"].endswith("death")],
            },
        )


def _legend(labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"orient": "right", "labelExpr": label_expr(labels), "labelLimit": 260, **extra}


def _edge_layer(x: dict[str, Any], y: dict[str, Any]) -> Any:
    names = list(palette.TIES)
    width = {name: t[3] for name, t in palette.TIES.items()}
    return {
        "data": {"name": "edges"},
        "transform": [
            {"calculate": f"{json.dumps(list(LAYERS))}[datum.k]", "as": "tie"},
            {"calculate": f"{json.dumps(width)}[datum.tie]", "as": "width"},
            {"lookup": "s", "from": _PLACES, "as": ["x", "y"]},
            {"lookup": "t", "from": _PLACES, "as": ["x2", "y2"]},
        ],
        "mark": {"type": "rule", "opacity": 0.7},
        "encoding": {
            "x": x,
            "y": y,
            "x2": {"field": "x2"},
            "y2": {"field": "y2"},
            "color": {
                "field": "tie",
                "type": "nominal",
                "title": "Ties",
                "scale": {"domain": names, "range": [t[1] for t in palette.TIES.values()]},
                "legend": _legend({k: v[0] for k, v in palette.TIES.items()}),
            },
            "strokeDash": {
                "field": "tie",
                "type": "nominal",
                "title": "Ties",
                "scale": {"domain": names, "range": [t[2] for t in palette.TIES.values()]},
                "legend": _legend({k: v[0] for k, v in palette.TIES.items()}),
            },
            "strokeWidth": {"field": "width", "type": "quantitative", "scale": None},
        },
    }


# Where each node is: looked up by the edges from the nodes' own rows.
_PLACES: dict[str, Any] = {"data": {"name": "nodes"}, "key": "i", "fields": ["x", "y"]}


def _node_layer(x: dict[str, Any], y: dict[str, Any]) -> Any:
    domain = [*palette.STATES, "gone"]
    colours = [c for _, c in palette.STATES.values()] + ["#FFFFFF"]
    labels = {k: v[0] for k, v in palette.STATES.items()} | {"gone": "Died or left this week"}
    return {
        "data": {"name": "nodes"},
        "mark": {
            "type": "point",
            "filled": True,
            "size": 70,
            "stroke": "#333333",
            "strokeWidth": 0.6,
            "opacity": 1,
        },
        "encoding": {
            "x": x,
            "y": y,
            "color": {
                "field": "state",
                "type": "nominal",
                "title": "Care state",
                "scale": {"domain": domain, "range": colours},
                "legend": _legend(labels, symbolStrokeColor="#333333", symbolStrokeWidth=0.6),
            },
            "tooltip": [
                {"field": "person", "title": "person"},
                {"field": "state", "title": "care state"},
                {"field": "weeks", "title": "weeks in this state"},
                {"field": "age", "title": "age"},
                {"field": "injects", "title": "injects"},
                {"field": "hiv", "title": "HIV"},
                {"field": "hcv", "title": "HCV"},
                {"field": "naloxone", "title": "carries naloxone"},
                # No event fields here: most people have none (the tooltip said "undefined");
                # a recent overdose or death is its own mark on top, with its own tooltip.
            ],
        },
    }


def _event_layer(x: dict[str, Any], y: dict[str, Any], *, death: bool) -> Any:
    names = [k for k in MARKS if k.endswith("death") == death]
    title = f"Deaths (last {MARK_WEEKS} weeks)" if death else f"Overdoses (last {MARK_WEEKS} weeks)"
    return {
        "data": {"name": "deaths" if death else "overdoses"},
        "mark": {
            "type": "point",
            "filled": death,
            "size": 200 if death else 330,
            "strokeWidth": 1 if death else 2.4,
        },
        "encoding": {
            "x": x,
            "y": y,
            "opacity": {
                "field": "fade",
                "type": "quantitative",
                "scale": {"domain": [0, 1], "range": [0.15, 1]},
                "legend": None,
            },
            "shape": {
                "field": "event",
                "type": "nominal",
                "title": title,
                "scale": {"domain": names, "range": [MARKS[k][1] for k in names]},
                "legend": _legend({k: MARKS[k][0] for k in names}),
            },
            "color": {
                "field": "event",
                "type": "nominal",
                "title": title,
                "scale": {"domain": names, "range": [MARKS[k][2] for k in names]},
                "legend": _legend({k: MARKS[k][0] for k in names}),
            },
            "tooltip": [
                {"field": "person", "title": "person"},
                {"field": "what", "title": "event"},
                {"field": "when", "title": "when"},
            ],
        },
    }


def _mark_for(kind: str, detail: str) -> str:
    if kind == "death":
        return "overdose_death" if detail == "overdose" else "other_death"
    if detail.startswith("fatal"):
        return "overdose_death"
    if detail.startswith("reversed"):
        return "overdose_reversed"
    return "overdose_survived"
