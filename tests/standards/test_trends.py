"""The trend: conformance month by month, folded after each refresh and filled by the generator."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from services.standards import assessments, conformance, trends
from services.standards.generate import seed_standards
from services.standards.models import Assessment, ConformanceMonth
from tests.conftest import data
from tests.standards.conftest import NOW, baseline, item


def _month_rows(s, school_id, baseline_id):
    return s.execute(select(ConformanceMonth).where(ConformanceMonth.school_id == school_id,
                                                    ConformanceMonth.baseline_id == baseline_id)
                     .execution_options(populate_existing=True)).scalars().all()


def test_a_refresh_folds_into_this_months_point_and_later_refreshes_overwrite_it(app, world, figures):
    with data(app) as s:
        dfe = baseline(s, world.trust.id, "DFE-DTS")
        conformance.refresh(world.trust.id, None, now=NOW)
        trends.record_month(world.trust.id, now=NOW)
        [row] = _month_rows(s, world.primary.id, dfe.id)
        assert (row.month, row.met, row.unknown) == (date(2026, 3, 1), 0, row.applicable)
        assert row.applicable == 12 and row.core_applicable == 6
        assessments.record_attestation(s.get(type(world.primary), world.primary.id),
                                       item(s, world.trust.id, "DFE-FILTERING"),
                                       status="met", evidence="Filtering checked with the DSL", by=None, now=NOW)
        trends.record_month(world.trust.id, now=NOW + timedelta(days=3))
        [row] = _month_rows(s, world.primary.id, dfe.id)  # the same month's row, not a second one
        assert (row.met, row.unknown) == (1, 11)
        points = trends.trend([world.primary.id, world.secondary.id], baseline_id=dfe.id)
        assert [(p.month, p.met, p.applicable) for p in points] == [(date(2026, 3, 1), 1, 24)]
        assert points[0].share_met == round(100 / 24, 1)


def test_next_month_is_a_new_point(app, world, figures):
    with data(app) as s:
        dfe = baseline(s, world.trust.id, "DFE-DTS")
        conformance.refresh(world.trust.id, None, now=NOW)
        trends.record_month(world.trust.id, now=NOW)
        trends.record_month(world.trust.id, now=NOW + timedelta(days=31))
        months = [p.month for p in trends.trend([world.primary.id], baseline_id=dfe.id)]
        assert months == [date(2026, 3, 1), date(2026, 4, 1)]


def test_a_generated_trust_has_two_years_of_answers_a_spread_of_schools_and_a_rising_trend(app, make, figures):
    trust = make.trust("Generated Trust")
    schools = [make.school(f"g{n}", trust=trust, phase="Primary" if n % 3 else "Secondary") for n in range(9)]
    with data(app) as s:
        written = seed_standards(trust, now=NOW, years=2, rng=random.Random(7))
        assert written == s.scalar(select(func.count()).select_from(Assessment)) > 9 * 15
        first = s.scalar(select(func.min(Assessment.assessed_at)))
        assert NOW - timedelta(days=731) <= first < NOW - timedelta(days=600)
        dfe = baseline(s, trust.id, "DFE-DTS")
        points = trends.trend([x.id for x in schools], baseline_id=dfe.id)
        assert len(points) == 25 and points[-1].month == date(2026, 3, 1)
        assert points[-1].share_met > points[2].share_met  # schools get better, on the whole
        # Today's point is what the heatmap shows now.
        now_counts = conformance.summary([x.id for x in schools], baseline_id=dfe.id)
        assert points[-1].met == sum(c.get("met", 0) for c in now_counts.values())
        shares = sorted(conformance.share_met(c) or 0 for c in now_counts.values())
        assert shares[-1] - shares[0] >= 20  # some schools near the standards, some far from them
