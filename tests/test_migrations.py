"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trust_it.extensions import db


def test_models_and_migrations_agree(app):
    # The session's database was built by `flask db upgrade` (see conftest).
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_upgrade_works_on_a_new_database(tmp_path, backend):
    import subprocess
    import sys
    from pathlib import Path
    if backend != "sqlite":
        return  # the PostgreSQL run builds its own fresh database with the same command in conftest
    env = {"TRUST_IT_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "TRUST_IT_INSTANCE_PATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    cli = Path(sys.executable).with_name("trust-it")
    result = subprocess.run([str(cli), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").stat().st_size > 0
