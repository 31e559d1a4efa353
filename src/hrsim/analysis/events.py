"""Spells and follow-up rebuilt from the event log: the raw material of survival targets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def state_changes(events: pd.DataFrame) -> pd.DataFrame:
    """Events that change a person's care state, in order, with the week of the next one."""
    moves = events[events["kind"].isin(["initial", "transition", "death", "exit", "entry"])]
    moves = moves.reset_index(drop=True)
    moves["order"] = np.arange(len(moves))
    moves = moves.sort_values(["person", "week", "order"], kind="stable").reset_index(drop=True)
    same = moves["person"].to_numpy()[1:] == moves["person"].to_numpy()[:-1]
    nxt_week = np.r_[moves["week"].to_numpy()[1:], -1]
    nxt_to = np.append(moves["to_state"].to_numpy()[1:], "")
    nxt_detail = np.append(moves["detail"].to_numpy()[1:], "")
    has_next = np.r_[same, False]
    moves["next_week"] = np.where(has_next, nxt_week, -1)
    moves["next_to"] = np.where(has_next, nxt_to, "")
    moves["next_detail"] = np.where(has_next, nxt_detail, "")
    return moves


def spells_from(
    moves: pd.DataFrame,
    entered: pd.Series,
    ending: set[str] | None,
    horizon: int,
    *,
    same_week: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Durations in weeks and event flags of spells starting at ``entered`` rows.

    A spell ends with the event when the next state change goes to a state in ``ending``
    (any change when ``ending`` is None); otherwise it is censored at the next change or at
    the end of the run. With ``same_week`` the state can end in the week it was entered
    (relapse can: it is evaluated after discharge), and that counts as week 1; otherwise the
    first possible end is the week after entry, which is week 1.
    """
    sp = moves[entered]
    has_next = sp["next_week"].to_numpy() >= 0
    end_week = np.where(has_next, sp["next_week"].to_numpy(), horizon)
    durations = end_week - sp["week"].to_numpy() + int(same_week)
    if ending is None:
        event = has_next
    else:
        event = has_next & sp["next_to"].isin(ending).to_numpy()
    # Censoring at the end of the run: the last week was not fully observed.
    durations = np.where(has_next, durations, durations - 1)
    return durations, event


def follow_until_removed(
    moves: pd.DataFrame,
    starts: pd.DataFrame,
    horizon: int,
    removal: Sequence[str] = ("jail", "prison", "dead", "exited"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow each start until its person first moves to a ``removal`` state.

    Moves to other living states (relapse, MOUD) do not end follow-up. Returns, per start:
    the weeks at risk (the removal week counts when it is an overdose death), the week of
    overdose death counted from the start (1 = the start's own week; 0 if none), and the
    week of any death counted the same way (0 if none).
    """
    ends = moves[(moves["to_state"].isin(list(removal))) & (moves["kind"] != "initial")]
    ends = ends[["person", "week", "to_state", "detail"]].sort_values(["person", "week"])
    rel = starts[["person", "week"]].reset_index(drop=True)
    rel["rid"] = np.arange(len(rel))
    merged = rel.merge(ends, on="person", how="left", suffixes=("", "_end"))
    merged = merged[merged["week_end"].isna() | (merged["week_end"] >= merged["week"])]
    merged = merged.sort_values(["rid", "week_end"]).drop_duplicates("rid", keep="first")
    merged = merged.set_index("rid").reindex(rel["rid"])
    end = merged["week_end"].to_numpy()
    is_od = (merged["detail"] == "overdose").to_numpy()
    died = (merged["to_state"] == "dead").to_numpy()
    start = rel["week"].to_numpy()
    removed = ~np.isnan(end)
    last = np.where(removed, end - start + is_od, horizon - start + 1).astype(int)
    od_week = np.where(removed & is_od, end - start + 1, 0).astype(int)
    death_week = np.where(removed & died, end - start + 1, 0).astype(int)
    return last, od_week, death_week
