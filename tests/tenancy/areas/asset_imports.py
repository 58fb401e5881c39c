"""Asset imports for the tenancy probe: a school import run and a trust-wide one per side, whose
file names carry the side's word (they show on the import pages and in the API)."""
from services.assets.models import ImportRun
from tests.conftest import data


def side(app, make, trust, school, word):
    with data(app) as s:
        school_run = ImportRun(trust_id=trust.id, school_id=school.id, filename=f"{word} Import.csv",
                               content=b"Asset Tag\n", preview={}, status="previewed")
        trust_run = ImportRun(trust_id=trust.id, school_id=None, filename=f"{word} TrustImport.csv",
                              content=b"Asset Tag\n", preview={}, status="previewed")
        s.add_all([school_run, trust_run])
        s.flush()
    return {"import_id": school_run.id}, [f"{word} Import.csv"]
