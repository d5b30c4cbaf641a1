"""The tests' shortcut for building apps (tests/url_builders.py) stays exact: every rule of
an app gets the very builder Werkzeug would compile for it."""

from __future__ import annotations

from werkzeug.routing.converters import AnyConverter, NumberConverter

from tests import conftest
from tests.url_builders import _compile
from web import create_app


def test_every_rule_gets_the_builder_werkzeug_compiles_for_it(tmp_path):
    first = create_app(conftest.test_settings(), instance_path=tmp_path / "first")
    app = create_app(conftest.test_settings(), instance_path=tmp_path / "second")
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    assert [r._build.__func__ for r in first.url_map.iter_rules()] == [
        r._build.__func__ for r in rules
    ], "each app compiled its own builders: the shortcut is not in use"
    for rule in rules:
        values = {
            name: _value_for(rule._converters[name])
            for name in rule.arguments
            if name not in (rule.defaults or {})
        }
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            fresh = _compile(rule, append_unknown)
            assert built.__func__.__code__ == fresh.__code__, rule.rule
            assert built.__func__.__defaults__ == fresh.__defaults__, rule.rule
            assert built(**values) == fresh.__get__(rule)(**values), rule.rule


def _value_for(converter):
    """A value the converter writes into a URL."""
    if isinstance(converter, NumberConverter):
        return 7
    if isinstance(converter, AnyConverter):
        return min(converter.items)
    return "a b/é"
