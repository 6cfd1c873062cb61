"""The server-drawn skill chart: one line per skill, points where the score is, labels inside."""

from __future__ import annotations

import datetime as dt
import re

from coach_api.trend_chart import HEIGHT, LEFT, TOP, BOTTOM, WIDTH, RIGHT, series, skill_chart_svg
from coach_api.trends import WeekTrend


def week(day: int, **skills: float) -> WeekTrend:
    return WeekTrend(week_start=dt.date(2024, 5, day), calls=1, mean_score=None,
                     interruptions_per_call=0.0, raised_voices_per_call=0.0,
                     checks_met_share=None, skill_scores=skills)


def test_each_skill_is_a_line_through_its_weeks_scores():
    weeks = [week(6, listening=0, empathy=100), week(13, listening=50), week(20, listening=100)]
    lines = {line.skill: line for line in series(weeks)}
    assert set(lines) == {"empathy", "listening"}
    bottom, top = HEIGHT - BOTTOM, TOP
    assert [(round(x), round(y)) for x, y, _ in lines["listening"].points] == [
        (LEFT, bottom), (round((LEFT + WIDTH - RIGHT) / 2), round((top + bottom) / 2)),
        (WIDTH - RIGHT, top)]
    assert len(lines["empathy"].points) == 1  # a week without the skill has no point


def test_the_chart_is_labelled_and_its_end_labels_lean_inwards():
    svg = skill_chart_svg([week(6, listening=40), week(13, listening=70)], title_id="t")
    assert 'role="img"' in svg and 'aria-labelledby="t"' in svg
    assert "<title>listening: 70</title>" in svg
    anchors = re.findall(r'text-anchor="(\w+)">\d\d \w{3}<', svg)
    assert anchors == ["start", "end"]


def test_weekly_skill_scores_average_the_calls_that_score_each_skill():
    from coach_api.trends import weekly_trends
    from pipeline.call_report import read_report

    from .synthetic import report_for

    def call(day: int, **skills):
        return (dt.datetime(2024, 5, day, 9, tzinfo=dt.UTC),
                read_report(report_for(f"c{day}", agent_id="a1", skills=skills)))

    weeks = weekly_trends([call(6, listening=40, empathy=90), call(8, listening=60),
                           call(13, empathy=70)])
    assert [week.skill_scores for week in weeks] == [{"empathy": 90.0, "listening": 50.0},
                                                      {"empathy": 70.0}]
