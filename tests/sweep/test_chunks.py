"""A point run as chunks of draw blocks and merged gives the Results ``simulate`` gives: the
same per-draw arrays, including the reaction timeline, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.sim.engine import BLOCK_SIZE
from spigot.sim.totals import RunTotals
from spigot.sweep.chunks import block_ranges, merge_chunks, prepared, run_blocks
from tests.policy.test_reactions import scenario


def test_merged_chunks_equal_simulate_with_reactions() -> None:
    scen = scenario("""
  - id: tighten
    measure: lic
    when: {probability_per_week: 0.05}
    lag_weeks: 1
    do: {approval: 0.5}
""", draws=130)  # three blocks of 64, the last one partial
    whole = sp.simulate(scen).data
    chunks = [run_blocks(scen, b0, b1) for b0, b1 in block_ranges(scen.draws, 64)]
    assert len(chunks) == 3
    merged = merge_chunks(scen, chunks[::-1]).data  # any order
    fired = whole["reaction_fired_week"].values
    assert np.isfinite(fired).any()  # the trigger fired in some draws
    assert np.isnan(fired).any()  # and not in others: a real timeline, not a constant
    for name in ("reaction_fired_week", "reaction_applied_week", "first_stop_week",
                 "lost_output_usd", "mean_exports"):
        np.testing.assert_array_equal(merged[name].values, whole[name].values, err_msg=name)


def test_run_totals_refuse_a_chunk_out_of_block_order() -> None:
    scen = scenario("""
  - id: tighten
    measure: lic
    when: {date: 2025-02-01}
    do: {approval: 0.5}
""", draws=130)
    chunks = [run_blocks(scen, b0, b1) for b0, b1 in block_ranges(scen.draws, 64)]
    run = RunTotals(prepared(scen), scen.draws, BLOCK_SIZE)
    run.add(chunks[0])
    with pytest.raises(ValueError, match="expected block 1, got 2"):
        run.add(chunks[2])  # block 1 skipped: its draws would be left empty
    run.add(chunks[1])
    run.add(chunks[2])
    assert run.next_block == 3
    with pytest.raises(ValueError, match="cover the point's draw blocks exactly once"):
        merge_chunks(scen, chunks[:1] + chunks[2:])  # a gap


def test_run_totals_count_a_market_chunks_price_bins_exactly_once() -> None:
    import dataclasses

    scen = sp.scenarios.load("licence-squeeze").with_options(draws=64, horizon_weeks=8)
    chunk = run_blocks(scen, 0, 1)
    assert chunk.price_min is not None  # a market chunk, its bins already counted
    assert chunk.counts is not None
    bins = np.zeros((8, 64, 3, chunk.counts.shape[2]), dtype=np.uint8)
    run = RunTotals(prepared(scen), scen.draws, BLOCK_SIZE)
    with pytest.raises(ValueError, match="counted once"):
        run.add(chunk, price_bin=bins)  # counted twice
    with pytest.raises(ValueError, match="counted once"):
        run.add(dataclasses.replace(chunk, counts=None))  # not counted at all
    run.add(chunk)
    assert run.counts.sum() == chunk.counts.sum() > 0
