"""The register's filters for a device's health (the standards' figures link to them): kind of device, OS out
of support, Intune-managed, unencrypted, unseen — kept in links, and nonsense ignored rather than a 500."""
from __future__ import annotations

from datetime import date

from services.assets.search import AssetFilters
from services.assets.search_args import filters_from_args, query_of

TODAY = date(2026, 3, 2)


def test_the_health_filters_survive_a_link_and_back():
    chosen = AssetFilters(TODAY, group="network", support="unsupported", encrypted="no", unseen_days=90,
                          managed=True, school_ids=(3,))
    args = query_of(chosen, with_school=True)
    assert args == {"group": "network", "support": "unsupported", "encrypted": "no", "unseen": "90",
                    "managed": "1", "school": ["3"]}
    back = filters_from_args(args, today=TODAY)
    assert (back.group, back.support, back.encrypted, back.unseen_days, back.managed, back.school_ids) == (
        "network", "unsupported", "no", 90, True, (3,))


def test_unknown_health_filters_are_ignored():
    f = filters_from_args({"group": ["servers"], "support": ["maybe"], "encrypted": ["yes"], "unseen": ["-4"],
                           "managed": ["perhaps"]}, today=TODAY)
    assert (f.group, f.support, f.encrypted, f.unseen_days, f.managed) == ("", "", "", None, False)
    assert filters_from_args({"unseen": ["999999"]}, today=TODAY).unseen_days == 3650
