"""Loading plugins: the built-in ones, then third-party ones from the ``stridelink`` entry-point group."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

import pluggy

from stridelink import hookspecs
from stridelink.entry_points import entry_points
from stridelink.errors import UnknownExporterError

if TYPE_CHECKING:
    from stridelink.models import Exporter, Reader, Rule

LOAD_ENV = "STRIDELINK_LOAD_PLUGINS"

# Built-ins are plugins like any other; they are listed here so an uninstalled checkout works too, with the
# hooks each implements, so that a command imports only the plugins whose hooks it calls (a test keeps these
# lists true). Third-party plugins are imported on the first hook call of any kind.
BUILTIN_PLUGINS: dict[str, tuple[str, frozenset[str]]] = {
    "fit": ("stridelink.readers.fit", frozenset({"register_readers"})),
    "gpx": ("stridelink.readers.gpx", frozenset({"register_readers"})),
    "tcx": ("stridelink.readers.tcx", frozenset({"register_readers"})),
    "rules": ("stridelink.plan.rules", frozenset({"register_rules"})),
    "ics": ("stridelink_ics", frozenset({"register_exporters"})),
    "csv": ("stridelink_csv", frozenset({"register_exporters"})),
    "json": ("stridelink_json", frozenset({"register_exporters"})),
    "markdown": ("stridelink_markdown", frozenset({"register_exporters"})),
    "fit-workout": ("stridelink_fit_workout", frozenset({"register_exporters"})),
    "caldav": ("stridelink_caldav", frozenset({"register_commands"})),
}
DEFAULT_PLUGINS = {name: module for name, (module, _hooks) in BUILTIN_PLUGINS.items()}

pm = pluggy.PluginManager("stridelink")
pm.add_hookspecs(hookspecs)
_builtins_loaded: set[str] = set()  # built-in plugins imported (or found missing) so far
_third_party_loaded = False
_third_party_order: list[str] = []  # third-party plugin names in the order they were registered
_versions: dict[str, str] = {}  # plugin name -> its distribution's version


def load_plugins(hook: str | None = None) -> None:
    """Register the built-ins implementing ``hook`` (all of them without one) and the allowed third-party
    plugins, each once per process.

    A third-party plugin that fails to load is reported on stderr and left out; it never stops the tool.
    """
    for name, (module, hooks) in BUILTIN_PLUGINS.items():
        if name in _builtins_loaded or (hook is not None and hook not in hooks):
            continue
        _builtins_loaded.add(name)
        if pm.get_plugin(name) is None:
            try:
                pm.register(importlib.import_module(module), name=name)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
    _load_third_party()


def _load_third_party() -> None:
    global _third_party_loaded
    if _third_party_loaded:
        return
    _third_party_loaded = True
    allow = os.environ.get(LOAD_ENV)
    wanted = None if allow is None else {name.strip() for name in allow.split(",") if name.strip()}
    if wanted == set():
        return
    for ep in entry_points("stridelink"):
        if ep.name in BUILTIN_PLUGINS or pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        if wanted is not None and ep.name not in wanted:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
            _third_party_order.append(ep.name)
            version = ep.version()
            if version is not None:
                _versions[ep.name] = version
        except Exception as exc:  # a broken plugin must not break stridelink
            print(f"stridelink: plugin {ep.name!r} failed to load: {type(exc).__name__}: {exc}", file=sys.stderr)


def _rank(plugin_name: str) -> int:
    """Built-ins first in their listed order, then third-party plugins as they were registered."""
    names = list(BUILTIN_PLUGINS)
    if plugin_name in BUILTIN_PLUGINS:
        return names.index(plugin_name)
    if plugin_name in _third_party_order:
        return len(names) + _third_party_order.index(plugin_name)
    return len(names) + len(_third_party_order)


def _collect(hook_name: str) -> list[Any]:
    """What every plugin registers through ``hook_name``, newest plugin first (pluggy's calling order).

    The order does not depend on which plugins earlier commands happened to load.
    """
    load_plugins(hook_name)
    found: list[Any] = []
    impls = sorted(getattr(pm.hook, hook_name).get_hookimpls(), key=lambda impl: _rank(impl.plugin_name))
    for impl in reversed(impls):
        impl.function(*[found.append for _name in impl.argnames])  # the hook's one argument, ``register``
    return found


def get_readers() -> dict[str, Reader]:
    """Readers by suffix (``.fit``); a later plugin does not replace an earlier one's suffix."""
    readers: dict[str, Reader] = {}
    for reader in reversed(_collect("register_readers")):  # pluggy calls the newest plugin first
        for suffix in reader.suffixes:
            readers.setdefault(suffix.lower(), reader)
    return readers


def get_rules() -> list[Rule]:
    return sorted(_collect("register_rules"), key=lambda rule: rule.name)


def get_exporters() -> dict[str, Exporter]:
    return {exporter.name: exporter for exporter in reversed(_collect("register_exporters"))}


def get_exporter(name: str) -> Exporter:
    exporters = get_exporters()
    try:
        return exporters[name]
    except KeyError:
        known = ", ".join(sorted(exporters)) or "none"
        raise UnknownExporterError(f"no exporter named {name!r} (available: {known})") from None


def describe_plugins() -> list[dict[str, Any]]:
    """What ``stridelink plugins`` prints: each plugin and the hooks it implements."""
    load_plugins()
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "module": getattr(plugin, "__name__", repr(plugin)),
                "hooks": hooks,
                "builtin": name in DEFAULT_PLUGINS,
                "version": _versions.get(name),
            }
        )
    return rows
