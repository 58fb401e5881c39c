"""The web processes' settings: what gunicorn reads from deploy/gunicorn.conf.py."""
import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


def test_a_worker_takes_the_loaded_app_out_of_the_garbage_collectors_sight(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(str(CONFIG))
    assert settings["workers"] == 3 and settings["worker_class"] == "sync" and settings["preload_app"] is False
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > before  # full collections no longer walk what the worker loaded
    finally:
        gc.unfreeze()
