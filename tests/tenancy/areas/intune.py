"""Intune sync of a side's trust, for the tenancy probe: a mapping rule sending devices to the side's
school and a sync run (the ids the /trust/assets/intune/… routes take). Both are trust-level: a
trust role sees its own trust's, never another trust's."""
from datetime import datetime

from services.assets import intune_settings
from services.assets.models import SyncRun
from services.directory.models import School, Trust
from tests.conftest import data


def side(app, make, trust, school, word):
    with data(app) as s:
        rule = intune_settings.add_rule(s.get(Trust, trust.id), kind="name_prefix", value=f"{word}Prefix-",
                                        school=s.get(School, school.id))
        run = SyncRun(trust_id=trust.id, tenant_label=f"{word} Intune tenant", status="succeeded",
                      started_at=datetime(2026, 1, 12, 2, 0), details={"unplaced": [f"{word}Kiosk"], "skipped": []},
                      error="")
        s.add(run)
        s.flush()
    return ({"sync_rule_id": rule.id, "sync_run_id": run.id},
            [f"{word}Prefix-", f"{word} Intune tenant", f"{word}Kiosk"])
