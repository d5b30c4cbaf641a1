"""Each URL builder compiled once per test process, not once per app: Werkzeug compiles two
Python functions (through `ast` and `compile`) for every rule of every app, most of the time
`create_app` takes, and the tests build an app for each of some 1,400 tests."""

from __future__ import annotations

from werkzeug.routing.rules import Rule

_compile = Rule._compile_builder


def builder_key(rule: Rule, append_unknown: bool) -> tuple:
    """All a compiled builder depends on: the rule's text and its parsed parts (converters
    included), and the defaults folded into it as constants. The rule itself is an argument
    of the builder (`.self`), so one function serves every app's copy of the rule."""
    return (
        rule.rule,
        tuple(rule._trace),
        repr(sorted((rule.defaults or {}).items())),
        append_unknown,
    )


def compile_each_builder_once() -> None:
    """Make Werkzeug reuse a builder compiled earlier for a rule with the same key."""
    built: dict[tuple, object] = {}

    def compile_builder(self: Rule, append_unknown: bool = True):
        key = builder_key(self, append_unknown)
        if key not in built:
            built[key] = _compile(self, append_unknown)
        return built[key]

    Rule._compile_builder = compile_builder
