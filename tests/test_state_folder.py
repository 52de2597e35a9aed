"""The state folder (reminder ledger, outbox, locks) does not depend on where kitflow is run from,
and a ledger that has never served a data folder another ledger has served says so."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from tests.conftest import EXAMPLE_DATA


def test_the_default_state_folder_is_the_users_whatever_the_current_folder(tmp_path, monkeypatch):
    user_state = Path(os.environ["XDG_STATE_HOME"]) / "kitflow"  # tests/conftest.py sets it
    seen = set()
    for where in ("a", "b/c"):
        (tmp_path / where).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / where)
        settings = load_settings()
        seen.add(settings.state_dir)
        assert settings.effective_database_url == f"sqlite:///{user_state / 'kitflow.db'}"
    assert seen == {user_state}
    # Without XDG_STATE_HOME, the XDG default under the home folder.
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings().state_dir == tmp_path / "home" / ".local" / "state" / "kitflow"
    # KITFLOW_STATE_DIR still names another.
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "elsewhere"))
    assert load_settings().state_dir == tmp_path / "elsewhere"


@pytest.mark.flow
def test_a_ledger_new_to_a_data_folder_another_ledger_has_served_says_so(prefect_harness, tmp_path):
    from flows.reminders import paamindelser

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)

    def remind(state: Path):
        return paamindelser(
            data_dir=str(data),
            out_dir=str(tmp_path / "out"),
            as_of=dt.date(2020, 12, 31),
            send=False,
            accounts=[],
            config_file=None,
        ).ledger_warning

    first, second = tmp_path / "first", tmp_path / "second"
    os.environ["KITFLOW_STATE_DIR"] = str(first)
    try:
        assert remind(first) is None  # the first ledger this data folder has had
        assert remind(first) is None  # and the same one again
        os.environ["KITFLOW_STATE_DIR"] = str(second)
        warning = remind(second)
        os.environ["KITFLOW_STATE_DIR"] = str(first)
        assert remind(first) is None  # the first one has served it before
    finally:
        del os.environ["KITFLOW_STATE_DIR"]
    assert warning is not None
    assert warning.startswith(
        f"påmindelsesregistret sqlite:///{second / 'kitflow.db'} har aldrig kørt for "
        f"datamappen {data}, men det har sqlite:///{first / 'kitflow.db'} (senest "
    )
    assert "kan blive sendt igen" in warning and "KITFLOW_STATE_DIR" in warning
