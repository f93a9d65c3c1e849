"""Loading plugins: the built-in ones, then third-party ones from the ``stridelink`` entry-point group."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from typing import Any

import pluggy

from stridelink import hookspecs
from stridelink.errors import UnknownExporterError
from stridelink.models import Exporter, Reader, Rule

LOAD_ENV = "STRIDELINK_LOAD_PLUGINS"

# Built-ins are plugins like any other; they are listed here so an uninstalled checkout works too.
DEFAULT_PLUGINS = {
    "fit": "stridelink.readers.fit",
    "gpx": "stridelink.readers.gpx",
    "tcx": "stridelink.readers.tcx",
    "rules": "stridelink.plan.rules",
    "ics": "stridelink_ics",
    "csv": "stridelink_csv",
    "json": "stridelink_json",
    "markdown": "stridelink_markdown",
    "fit-workout": "stridelink_fit_workout",
    "caldav": "stridelink_caldav",
}

pm = pluggy.PluginManager("stridelink")
pm.add_hookspecs(hookspecs)
_loaded = False
_versions: dict[str, str] = {}  # plugin name -> its distribution's version


def load_plugins() -> None:
    """Register the built-ins and the allowed third-party plugins (once per process).

    A third-party plugin that fails to load is reported on stderr and left out; it never stops the tool.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name, module in DEFAULT_PLUGINS.items():
        if pm.get_plugin(name) is None:
            try:
                pm.register(importlib.import_module(module), name=name)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
    allow = os.environ.get(LOAD_ENV)
    wanted = None if allow is None else {name.strip() for name in allow.split(",") if name.strip()}
    for ep in importlib.metadata.entry_points(group="stridelink"):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        if wanted is not None and ep.name not in wanted:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
            if ep.dist is not None:
                _versions[ep.name] = ep.dist.version
        except Exception as exc:  # a broken plugin must not break stridelink
            print(f"stridelink: plugin {ep.name!r} failed to load: {type(exc).__name__}: {exc}", file=sys.stderr)


def _collect(hook_name: str) -> list[Any]:
    load_plugins()
    found: list[Any] = []
    getattr(pm.hook, hook_name)(register=found.append)
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
