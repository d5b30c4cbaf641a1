"""The project's modules import one way: no import circles, and the layers ARCHITECTURE.md
states (the domain knows nothing of the web, Jira or the channels; calendars nothing of the
web). Imports under `if TYPE_CHECKING:` never run, so they do not count."""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("rollout", "web", "calendars", "jira_sync", "channels")

# importer → packages it may never reach, directly or through other modules.
FORBIDDEN = {
    "rollout": ("web", "jira_sync", "channels"),
    "calendars": ("web",),
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # cache_dir=None: no cache written into the work tree.
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


def test_no_module_imports_one_that_imports_it_back(graph):
    circles = [
        " → ".join((importer, *graph.find_shortest_chain(importer=imported, imported=importer)))
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if imported != importer and graph.chain_exists(importer=imported, imported=importer)
    ]
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_domain_and_calendars_never_import_the_layers_above_them(graph):
    chains = [
        " → ".join(graph.find_shortest_chain(importer=low, imported=high, as_packages=True))
        for low, highs in FORBIDDEN.items()
        for high in highs
        if graph.chain_exists(low, high, as_packages=True)
    ]
    assert not chains, "imports against the layers:\n" + "\n".join(chains)
