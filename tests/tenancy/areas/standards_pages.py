"""The standards pages of a side's school, for the tenancy probe: an answer with an evidence file (the
id /s/…/standards/evidence/<assessment_id> takes) to the item the standards area published (it runs
first), and the drift of that evidence expiring a year on (…/standards/drift/<drift_id>/ticket); the
file's name and the evidence text are the secrets."""
from datetime import datetime

from services.desk.attachments import Upload
from services.directory.models import School
from services.standards import assessments, conformance
from services.standards.models import Baseline, BaselineVersion, DriftEvent, StandardItem
from tests.conftest import data


def side(app, make, trust, school, word):
    now = datetime(2026, 3, 2, 10, 0)
    with data(app) as s:
        item = (s.query(StandardItem).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
                .join(Baseline, Baseline.id == BaselineVersion.baseline_id)
                .filter(Baseline.trust_id == trust.id, Baseline.code == f"{word.upper()}-BUILD",
                        BaselineVersion.status == "published").one())
        upload = Upload(f"{word}-restore-log.txt", "text/plain", f"{word} restore log".encode())
        answer = assessments.record_attestation(s.get(School, school.id), item, status="met",
                                                evidence=f"{word} restore evidence", by=None, now=now,
                                                attachment=upload)
        conformance.refresh(trust.id, [school.id], now=datetime(2027, 4, 1, 10, 0), item_ids=[item.id])
        drift = s.query(DriftEvent).filter_by(school_id=school.id, item_id=item.id, cause="expired").one()
    return ({"assessment_id": answer.id, "drift_id": drift.id},
            [f"{word}-restore-log.txt", f"{word} restore evidence"])
