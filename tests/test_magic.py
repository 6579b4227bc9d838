"""``%tensorboard``: TensorBoard's flags, parsed without ever exiting or raising into the user."""

from __future__ import annotations

import pytest

from nbtb.magic import USAGE, UsageError, parse_args, tensorboard_magic
from nbtb.widgets.multi import parse_logdir_spec


def test_logdir_and_reload_interval():
    a = parse_args("--logdir logs --reload_interval 0")
    assert a.source == "logs" and a.reload_interval == 0 and a.notes == []


def test_equals_form_and_quoted_paths():
    a = parse_args('--logdir="my logs/exp 1" --reload_interval=2.5')
    assert a.source == "my logs/exp 1" and a.reload_interval == 2.5


def test_default_reload_interval_is_five_seconds():
    assert parse_args("--logdir logs").reload_interval == 5


def test_logdir_spec_names_each_logdir():
    a = parse_args("--logdir_spec base:runs/a,new:/tmp/runs/b")
    assert a.source == [("base", "runs/a"), ("new", "/tmp/runs/b")]


def test_logdir_spec_keeps_uris_and_unnamed_paths_whole():
    assert parse_logdir_spec("s3://bucket/logs,plain") == [("", "s3://bucket/logs"), ("", "plain")]
    assert parse_logdir_spec(r"C:\logs") == [("", r"C:\logs")]


def test_server_flags_are_accepted_and_explained_in_one_line():
    a = parse_args("--logdir logs --port 6007 --host 0.0.0.0 --bind_all --path_prefix /tb")
    assert a.source == "logs"
    assert len(a.notes) == 1
    assert "--port, --host, --bind_all, --path_prefix" in a.notes[0]
    assert "no server" in a.notes[0]


def test_samples_per_plugin_is_kept_but_informational():
    a = parse_args("--logdir logs --samples_per_plugin scalars=500,images=0")
    assert a.samples_per_plugin == "scalars=500,images=0"
    assert any("keeps every point" in n for n in a.notes)


@pytest.mark.parametrize("line, says", [
    ("--logdir logs --frobnicate", "unrecognized arguments: --frobnicate"),
    ("", "--logdir is required"),
    ("--reload_interval 3", "--logdir is required"),
    ("--logdir a --logdir_spec x:b", "not both"),
    ("--logdir logs --reload_interval soon", "invalid float value"),
    ("--logdir logs --reload_interval -1", ">= 0"),
    ("--logdir 'unterminated", "No closing quotation"),
    ("--logdir", "expected one argument"),
])
def test_mistakes_raise_usage_errors_not_system_exit(line, says):
    with pytest.raises(UsageError) as err:
        parse_args(line)
    assert says in str(err.value)
    assert str(err.value).endswith(USAGE)


def test_help_prints_usage():
    with pytest.raises(UsageError, match="usage: %tensorboard"):
        parse_args("--help")


def test_magic_prints_usage_for_unknown_flag(capsys):
    assert tensorboard_magic("--logdir logs --nope") is None
    out = capsys.readouterr()
    assert "unrecognized arguments: --nope" in out.out and "usage: %tensorboard" in out.out
    assert "Traceback" not in out.out + out.err


def test_magic_reports_a_missing_logdir_without_traceback(capsys, tmp_path):
    missing = tmp_path / "does-not-exist"
    assert tensorboard_magic(f"--logdir {missing} --port 6006") is None
    out = capsys.readouterr().out
    assert "no server" in out  # the ignored-flag line still comes first
    assert f"logdir does not exist: {missing}" in out and "usage: %tensorboard" in out


def test_load_ipython_extension_registers_the_line_magic():
    from nbtb.magic import load_ipython_extension

    registered = {}

    class FakeShell:
        def register_magic_function(self, func, magic_kind, magic_name):
            registered[magic_name] = (func, magic_kind)

    load_ipython_extension(FakeShell())
    assert registered == {"tensorboard": (tensorboard_magic, "line")}


def test_the_magic_in_a_real_ipython_shell(capsys, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    from nbtb.magic import load_ipython_extension

    ip = InteractiveShell.instance()
    load_ipython_extension(ip)
    ip.run_line_magic("tensorboard", f"--logdir {tmp_path / 'missing'} --bind_all")
    ip.run_line_magic("tensorboard", "--help")
    out = capsys.readouterr()
    assert out.out.count("usage: %tensorboard") == 2
    assert "Traceback" not in out.out + out.err and "SystemExit" not in out.out + out.err


def test_magic_explains_a_missing_front_end_build(capsys, tmp_path, monkeypatch):
    import nbtb.widgets.dashboard as dashboard_mod

    monkeypatch.setattr(dashboard_mod, "ESM_PATH", tmp_path / "missing.js")
    (tmp_path / "logs").mkdir()
    assert tensorboard_magic(f"--logdir {tmp_path / 'logs'}") is None
    out = capsys.readouterr().out
    assert "front end is not built" in out and "npm run build" in out


def test_magic_rejects_a_file_as_logdir(capsys, tmp_path):
    f = tmp_path / "events.txt"
    f.write_text("")
    tensorboard_magic(f"--logdir {f}")
    assert "logdir is not a directory" in capsys.readouterr().out
