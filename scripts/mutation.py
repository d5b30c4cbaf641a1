"""`make mutation`: mutmut over the pure rules, one module at a time, on SQLite alone; prints
each module's score and its surviving mutants with their diffs.

    python scripts/mutation.py                          # every module in scope
    python scripts/mutation.py rollout/scheduling.py    # one module (or a folder: calendars/)
    python scripts/mutation.py rollout/notifications/triggers.py --only _merge,_reminders
                                                        # some of its functions (a partial run)

The modules, the functions mutated in each (all of them when none are listed) and the tests
that pin them are `[tool.rollout.mutation."<path>"]` in pyproject.toml; mutmut's own settings
are `[tool.mutmut]`. The equivalent mutants, left out of the second score, are the README's
list under "Mutation testing" (a line "- `<mutant name>`: why").
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Two mutants at a time: the machine's two cores are shared (MUTATION_CHILDREN=1 for fewer).
CHILDREN = int(os.environ.get("MUTATION_CHILDREN", "2"))
EQUIVALENT = re.compile(r"^- `(?P<name>[^`]+__mutmut_\d+)`: ")
CAUGHT = {1, 3, 36, 24, -24, 152, 255, -11, -9}  # mutmut's killed, timeout and crash codes
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass(frozen=True)
class Module:
    path: str  # as given in pyproject, e.g. "rollout/releases/waves.py"
    functions: tuple[str, ...]  # empty: the whole file
    tests: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")

    def patterns(self) -> list[str]:
        """mutmut's names for this module's mutants, as shell patterns."""
        if not self.functions:
            return [f"{self.dotted}.x*__mutmut_*"]
        return [f"{self.dotted}.{_mangled(name)}__mutmut_*" for name in self.functions]

    def owns(self, mutant: str) -> bool:
        return any(fnmatch.fnmatchcase(mutant, p) for p in self.patterns())


def _mangled(function: str) -> str:
    """mutmut's name for a function (`f`) or a method (`Class.f`)."""
    if "." in function:
        cls, name = function.split(".")
        return f"x\u01c1{cls}\u01c1{name}"
    return f"x_{function}"


def load_modules() -> list[Module]:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["rollout"]["mutation"]
    return [
        Module(path, tuple(entry.get("functions", ())), tuple(entry["tests"]))
        for path, entry in table.items()
    ]


def equivalent_mutants() -> set[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    return {m["name"] for line in lines if (m := EQUIVALENT.match(line))}


def run_one(module: Module, every: list[Module]) -> None:
    """In this process: mutmut on `module`'s functions with `module`'s tests alone."""
    # Imports here: the parent process never imports the code under test.
    from mutmut.__main__ import cli
    from mutmut.configuration import config

    settings = config()
    # Every module's file stays mutated from run to run: mutmut takes a file it once copied
    # unmutated for one it already mutated, and would then find no mutants in it.
    settings.only_mutate = [m.path for m in every]
    settings.pytest_add_cli_args_test_selection = list(module.tests)
    # tests/js/node_modules links to a shared install (with a link back to itself inside):
    # copy the link, not what it points at.
    tests = Path("tests")
    settings.also_copy = [p for p in settings.also_copy if p != tests] + [
        p for p in tests.iterdir() if p.name != "js"
    ]
    copied = ROOT / "mutants" / tests
    copied.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(copied / "js", ignore_errors=True)  # unlinks the link, leaves the install
    shutil.copytree(tests / "js", copied / "js", symlinks=True)
    cli(["run", "--max-children", str(CHILDREN), *module.patterns()])


@dataclass
class Score:
    module: Module
    total: int
    caught: int
    survivors: list[str]
    no_tests: list[str]
    other: list[str]  # not checked, suspicious, interrupted
    equivalent: set[str]

    def line(self) -> str:
        counted = self.total - len(self.equivalent)
        alive = len(self.survivors) + len(self.no_tests) + len(self.other)
        return (
            f"{self.module.path}: {self.total} mutants, {self.caught} killed, "
            f"{alive} alive, {len(self.equivalent)} equivalent; "
            f"score {_percent(self.caught, self.total)} "
            f"({_percent(self.caught, counted)} leaving out equivalent mutants)"
        )


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def score(module: Module, equivalent: set[str]) -> Score:
    meta = json.loads((ROOT / "mutants" / f"{module.path}.meta").read_text())
    codes = {k: v for k, v in meta["exit_code_by_key"].items() if module.owns(k)}
    by = {
        "caught": [k for k, v in codes.items() if v in CAUGHT],
        "survived": [k for k, v in codes.items() if v in SURVIVED],
        "no_tests": [k for k, v in codes.items() if v in NO_TESTS],
    }
    sorted_out = set().union(*by.values())
    return Score(
        module,
        total=len(codes),
        caught=len(by["caught"]),
        survivors=sorted(k for k in by["survived"] if k not in equivalent),
        no_tests=sorted(k for k in by["no_tests"] if k not in equivalent),
        other=sorted(k for k in codes if k not in sorted_out and k not in equivalent),
        equivalent={k for k in codes if k in equivalent and k not in by["caught"]},
    )


def report(result: Score, equivalent: set[str]) -> None:
    print()
    print(result.line())
    alive = [
        (title, name)
        for title, names in (
            ("survived", result.survivors),
            ("no test reaches it", result.no_tests),
            ("not checked or suspicious", result.other),
        )
        for name in names
    ]
    if alive:
        # One process shows every diff: mutmut reads them from the mutated copy.
        subprocess.run(
            [sys.executable, __file__, "--show", result.module.path]
            + [f"{title}:{name}" for title, name in alive],
            cwd=ROOT,
            check=True,
        )
    for name in sorted(n for n in equivalent if result.module.owns(n)):
        if name not in result.equivalent:
            print(f"--- listed as equivalent in README.md but killed or gone: {name}")


def show(path: str, alive: list[str]) -> None:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    for entry in alive:
        title, _, name = entry.partition(":")
        print(f"--- {title}: {name}")
        print(get_diff_for_mutant(name, path=path))


def main(argv: list[str]) -> int:
    every = load_modules()
    only: tuple[str, ...] = ()
    if "--only" in argv:
        at = argv.index("--only")
        only = tuple(argv[at + 1].split(","))
        argv = argv[:at] + argv[at + 2 :]
    if argv[:1] == ["--run"]:
        (module,) = [replace(m, functions=only or m.functions) for m in every if m.path == argv[1]]
        run_one(module, every)
        return 0
    if argv[:1] == ["--show"]:
        show(argv[1], argv[2:])
        return 0
    wanted = argv[0] if argv else ""
    chosen = [replace(m, functions=only or m.functions) for m in every if m.path.startswith(wanted)]
    if not chosen:
        known = ", ".join(m.path for m in every)
        print(f"no module in scope matches {wanted!r}; the modules are: {known}")
        return 2
    env = {**os.environ, "TEST_DATABASES": "sqlite"}
    results = []
    for module in chosen:
        equivalent = equivalent_mutants()  # read again: one may be added during a long run
        print(f"=== {module.path} with {' '.join(module.tests)}", flush=True)
        ran = subprocess.run(
            [
                sys.executable,
                __file__,
                "--run",
                module.path,
                *(["--only", ",".join(only)] if only else []),
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        if ran.returncode != 0:
            print(f"mutmut failed on {module.path} (exit {ran.returncode})")
            return ran.returncode
        results.append(score(module, equivalent))
        report(results[-1], equivalent)
    print()
    print("Mutation scores (SQLite):")
    for result in results:
        print("  " + result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
