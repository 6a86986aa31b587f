"""README.md's configuration table is the one rendered from the settings' declaration."""

from __future__ import annotations

from pathlib import Path

from accord import settings_table
from accord.config import OPTIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_rendered_from_the_declaration():
    documented = settings_table.documented(README.read_text(encoding="utf-8"))
    assert documented, "README.md lost the settings markers"
    # On failure: `make settings-table` rewrites the table from accord/config.py.
    assert documented == settings_table.render()


def test_table_lists_every_flag_and_variable_with_its_default():
    rows = [line for line in settings_table.render().splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]
    by_env = {env.strip("`"): (flag, default) for flag, env, default, _ in cells}
    for option in OPTIONS:
        flag, default = by_env[option.env]
        assert flag == (f"`{option.flag}`" if option.flag else "(environment only)")
        assert default == option.default_text
    assert by_env["ACCORD_API_PORT"][1] == "`8080`"
    assert by_env["ACCORD_MIGRATE"][1] == "`1`"
    assert by_env["ACCORD_RESUME_WINDOW_S"][1] == "`300`"
    assert by_env["ACCORD_DATA_DIR"][1] == "`./.accord`"
    assert by_env["REDIS_URL"][1] == "unset"
    assert by_env["ACCORD_DB_BRIDGE"] == ("(environment only)", "`thread`")


def test_table_says_which_command_takes_which_flag():
    assert (
        "`accord serve`, `accord api` and `accord gateway` take every flag; "
        "`accord migrate` takes `--data-dir`, `--database-url` and `--log-format`."
    ) in settings_table.render()


def test_rewriting_replaces_only_the_table(tmp_path):
    readme = tmp_path / "README.md"
    stale = settings_table.render().replace("address to listen on", "old words")
    readme.write_text(f"# Title\n\n{stale}\n\nAfter.\n", encoding="utf-8")
    assert settings_table.main([str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == (
        f"# Title\n\n{settings_table.render()}\n\nAfter.\n"
    )
