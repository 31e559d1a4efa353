"""The incremental cost-effectiveness table: dominance, extended dominance, ICERs, net benefit.

The conventions are dampack's ``calculate_icers`` (DARTH-git/dampack, ``R/icers.R``), so a
table made here can be checked against one made there:

- strategies are sorted by cost, cheapest first (ties: the more effective first, then the
  order given);
- a strategy is **dominated** (strongly) when a strategy before it in that order (no more
  costly) is at least as effective; of identical strategies (same cost and effect) the first
  given stays and the others are marked dominated, as in dampack;
- among the rest, a strategy whose ICER is higher than the ICER of the next more effective one
  is **extendedly dominated** (a mix of its two neighbours gives more effect for less cost);
  ICERs are recomputed and the check repeated until none is found. Equal ICERs (collinear
  strategies) stay on the frontier, as in dampack; ICERs within a relative 1e-9 of each other
  count as equal, so rounding cannot push a collinear strategy off;
- the cheapest non-dominated strategy is the **reference**; the others on the frontier have
  their incremental cost, incremental effect and ICER against the previous frontier strategy.
  Dominated and extendedly dominated strategies have no incremental values (NaN), as in
  dampack: they are not compared with anything, because nobody should choose them.

Unlike dampack, the rows stay in cost order whatever their status (dampack lists the frontier
first), so the table reads as the cost-effectiveness plane does, left to right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hrsim.errors import ScenarioError
from hrsim.messages import show

#: The values of the ``status`` column.
REFERENCE = "reference"
FRONTIER = "frontier"
DOMINATED = "dominated"
EXTENDEDLY_DOMINATED = "extendedly dominated"
STATUSES = (REFERENCE, FRONTIER, DOMINATED, EXTENDEDLY_DOMINATED)

COLUMNS = (
    "strategy",
    "cost",
    "effect",
    "incremental_cost",
    "incremental_effect",
    "icer",
    "status",
)

# Two ICERs this close (relative) are equal: collinear strategies stay on the frontier.
_ICER_RTOL = 1e-9


class DecisionInputError(ScenarioError):
    """Costs, effects or willingness-to-pay values that a decision analysis cannot use.

    A ``ScenarioError`` (so a ``ValueError``), so the command line reports it in one line.
    """


def float_vector(values: ArrayLike, field: str) -> np.ndarray:
    """``values`` as a 1-D float array (a single number becomes a vector of one)."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DecisionInputError(f"{field} = {show(values)} is not a list of numbers") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise DecisionInputError(
            f"{field} must be one number per strategy, not an array of shape {array.shape}"
        )
    return array


def require_finite(array: np.ndarray, field: str, labels: Sequence[str] | None = None) -> None:
    """A one-line error naming the first NaN or infinite entry (and its strategy), if any."""
    bad = np.argwhere(~np.isfinite(array))
    if bad.size == 0:
        return
    at = tuple(int(k) for k in bad[0])
    index = ", ".join(str(k) for k in at)
    who = f" (strategy '{labels[at[-1]]}')" if labels is not None and at[-1] < len(labels) else ""
    raise DecisionInputError(
        f"{field}[{index}]{who} = {float(array[at])!r}; every value must be a finite number"
    )


def strategy_names(names: Sequence[str], count: int, where: str) -> list[str]:
    """The names as text, checked: one per strategy, none repeated."""
    if isinstance(names, str):
        raise DecisionInputError(f"{where}: names = {show(names)} must be a list of names")
    labels = [str(n) for n in names]
    if len(labels) != count:
        raise DecisionInputError(
            f"{where}: {len(labels)} names for {count} strategies; give one name per strategy"
        )
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise DecisionInputError(
                f"{where}: strategy name '{label}' is given twice; names must be unique"
            )
        seen.add(label)
    return labels


def incremental_table(names: Sequence[str], costs: ArrayLike, effects: ArrayLike) -> pd.DataFrame:
    """The incremental cost-effectiveness table of mutually exclusive strategies.

    Args:
        names: one unique name per strategy.
        costs: each strategy's (mean) cost.
        effects: each strategy's (mean) effect, e.g. QALYs; more is better.

    Returns:
        One row per strategy, sorted by cost (ties: more effective first, then input order),
        with columns ``strategy, cost, effect, incremental_cost, incremental_effect, icer,
        status``. ``status`` is ``"reference"`` (the cheapest non-dominated strategy),
        ``"frontier"``, ``"dominated"`` or ``"extendedly dominated"``. The incremental columns
        and ``icer`` of a frontier row are against the previous frontier row; they are NaN
        for the reference and for dominated and extendedly dominated rows (as in dampack's
        ``calculate_icers``). A single strategy is the reference.

    Raises:
        DecisionInputError: names and values of different lengths, no strategy, a repeated
            name, or a cost or effect that is NaN or infinite.
    """
    where = "incremental_table"
    cost = float_vector(costs, f"{where}: costs")
    effect = float_vector(effects, f"{where}: effects")
    if cost.size != effect.size:
        raise DecisionInputError(
            f"{where}: {cost.size} costs but {effect.size} effects; give one of each per strategy"
        )
    if cost.size == 0:
        raise DecisionInputError(f"{where}: no strategies; give at least one")
    labels = strategy_names(names, cost.size, where)
    require_finite(cost, f"{where}: costs", labels)
    require_finite(effect, f"{where}: effects", labels)

    n = cost.size
    # Cost ascending, then effect descending, then the order given (lexsort: last key first).
    order = [int(i) for i in np.lexsort((np.arange(n), -effect, cost))]
    status: dict[int, str] = {}

    # Strong dominance: anything no more effective than a strategy before it (no more costly).
    best = -math.inf
    for i in order:
        if effect[i] <= best:
            status[i] = DOMINATED
        best = max(best, float(effect[i]))

    # Extended dominance, repeated until the ICERs rise along the frontier. The candidates
    # have strictly rising costs and effects (ties were dominated above), so every ICER is a
    # positive finite number.
    frontier = [i for i in order if i not in status]
    while len(frontier) > 2:
        icers = [_ratio(cost, effect, a, b) for a, b in zip(frontier, frontier[1:], strict=False)]
        out = {
            frontier[k + 1]
            for k in range(len(icers) - 1)
            if icers[k] > icers[k + 1]
            and not math.isclose(icers[k], icers[k + 1], rel_tol=_ICER_RTOL)
        }
        if not out:
            break
        for i in out:
            status[i] = EXTENDEDLY_DOMINATED
        frontier = [i for i in frontier if i not in out]

    nan = math.nan
    incremental_cost = dict.fromkeys(range(n), nan)
    incremental_effect = dict.fromkeys(range(n), nan)
    icer = dict.fromkeys(range(n), nan)
    status[frontier[0]] = REFERENCE
    for previous, i in zip(frontier, frontier[1:], strict=False):
        status[i] = FRONTIER
        incremental_cost[i] = float(cost[i] - cost[previous])
        incremental_effect[i] = float(effect[i] - effect[previous])
        icer[i] = incremental_cost[i] / incremental_effect[i]

    return pd.DataFrame(
        {
            "strategy": [labels[i] for i in order],
            "cost": [float(cost[i]) for i in order],
            "effect": [float(effect[i]) for i in order],
            "incremental_cost": [incremental_cost[i] for i in order],
            "incremental_effect": [incremental_effect[i] for i in order],
            "icer": [icer[i] for i in order],
            "status": [status[i] for i in order],
        },
        columns=list(COLUMNS),
    )


def _ratio(cost: np.ndarray, effect: np.ndarray, a: int, b: int) -> float:
    """The ICER of moving from strategy ``a`` to the more costly, more effective ``b``."""
    return float((cost[b] - cost[a]) / (effect[b] - effect[a]))


def wtp_vector(wtp: float | ArrayLike, where: str) -> np.ndarray:
    """Willingness-to-pay values as a 1-D array, each finite and 0 or more."""
    try:
        array = np.asarray(wtp, dtype=float)
    except (TypeError, ValueError):
        raise DecisionInputError(f"{where}: wtp = {show(wtp)} is not a number") from None
    array = array.reshape(-1) if array.ndim == 0 else array
    if array.ndim != 1 or array.size == 0:
        raise DecisionInputError(f"{where}: wtp must be a number or a list of numbers")
    for i, value in enumerate(array):
        if not math.isfinite(value) or value < 0:
            raise DecisionInputError(
                f"{where}: wtp[{i}] = {float(value)!r}; a willingness to pay per unit of "
                "effect must be a finite number, 0 or more"
            )
    return array


def net_monetary_benefit(
    costs: ArrayLike, effects: ArrayLike, wtp: float | ArrayLike
) -> np.ndarray:
    """Net monetary benefit, ``effects x wtp - costs``.

    Args:
        costs: any shape (one strategy, a vector of strategies, or PSA samples x strategies).
        effects: the same shape as ``costs``.
        wtp: the willingness to pay per unit of effect: a number, or a vector of them.

    Returns:
        The shape of ``costs`` for a number ``wtp``; for a vector, one more leading axis, so
        ``result[w]`` is the net benefit at ``wtp[w]``.

    Raises:
        DecisionInputError: shapes that differ, a NaN or infinite value, or a negative wtp.
    """
    where = "net_monetary_benefit"
    cost = np.asarray(costs, dtype=float)
    effect = np.asarray(effects, dtype=float)
    if cost.shape != effect.shape:
        raise DecisionInputError(
            f"{where}: costs have shape {cost.shape} but effects {effect.shape}; they must match"
        )
    require_finite(cost, f"{where}: costs")
    require_finite(effect, f"{where}: effects")
    scalar = np.ndim(wtp) == 0
    w = wtp_vector(wtp, where)
    if scalar:
        return effect * w[0] - cost
    return effect[np.newaxis] * w.reshape((-1,) + (1,) * effect.ndim) - cost[np.newaxis]


def format_incremental_table(
    df: pd.DataFrame,
    currency: str = "USD",
    *,
    effect_label: str = "QALYs",
    cost_decimals: int = 0,
    effect_decimals: int = 3,
) -> str:
    """The table of :func:`incremental_table` as readable text, one line per strategy.

    Missing values (the reference's and dominated strategies' increments) show as ``-``; a
    note under the table says what the increments are measured against.
    """
    unit = effect_label[:-1] if effect_label.endswith("s") else effect_label

    def number(value: float, decimals: int, sign: bool = False) -> str:
        if value is None or not math.isfinite(float(value)):
            return "-"
        return f"{float(value):{'+' if sign else ''},.{decimals}f}"

    header = [
        "strategy",
        f"cost ({currency})",
        effect_label,
        "incremental cost",
        f"incremental {effect_label}",
        f"ICER ({currency}/{unit})",
        "status",
    ]
    rows = [
        [
            str(r.strategy),
            number(r.cost, cost_decimals),
            number(r.effect, effect_decimals),
            number(r.incremental_cost, cost_decimals, sign=True),
            number(r.incremental_effect, effect_decimals, sign=True),
            number(r.icer, 0),
            str(r.status),
        ]
        for r in df.itertuples(index=False)
    ]
    widths = [max(len(line[c]) for line in [header, *rows]) for c in range(len(header))]

    def render(line: list[str]) -> str:
        first = line[0].ljust(widths[0])
        middle = [cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *middle, line[-1]]).rstrip()

    lines = [render(header), "  ".join("-" * w for w in widths)]
    lines += [render(line) for line in rows]
    lines.append(
        "Increments and ICERs are against the previous strategy on the frontier; dominated "
        "strategies have none."
    )
    return "\n".join(lines)
