"""Bar chart geometry shared by the log statistics and the results pages."""

from __future__ import annotations

from urna.core.charts import BAR_GAP, BAR_HEIGHT, BAR_WIDTH, Measure, bar_chart


def test_the_largest_value_fills_the_width_and_rows_stack():
    chart = bar_chart([Measure("a", 40), Measure("b", 10), Measure("c", 0, folded=True)])
    assert [bar.width for bar in chart.bars] == [BAR_WIDTH, BAR_WIDTH / 4, 0]
    assert [bar.y for bar in chart.bars] == [0, BAR_HEIGHT + BAR_GAP, 2 * (BAR_HEIGHT + BAR_GAP)]
    assert [bar.label for bar in chart.bars] == ["a", "b", "c"]
    assert [bar.folded for bar in chart.bars] == [False, False, True]
    assert chart.height == 3 * (BAR_HEIGHT + BAR_GAP)


def test_widths_are_rounded_to_a_tenth():
    chart = bar_chart([Measure("a", 3), Measure("b", 1)])
    assert [bar.width for bar in chart.bars] == [BAR_WIDTH, 133.3]


def test_no_bars_or_only_zeros_still_draw():
    empty = bar_chart([])
    assert empty.bars == [] and empty.height == BAR_HEIGHT + BAR_GAP  # room for "no data"
    zeros = bar_chart([Measure("a", 0)])
    assert zeros.bars[0].width == 0
