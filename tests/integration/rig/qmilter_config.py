"""Writing qmilter INI files (the format of qmilter.conf(5)) from Python dicts.

    write_config(path, {"global": {"quarantines": ["spam"], ...}, "spam": {...}})

Section order and key order are kept; list values are joined with ", "; None values are
left out (handy to drop a mandatory option in an error test). quarantine_section() gives
a complete `none`-typed quarantine section for the core's tests, to be tweaked per test.
"""

import os
from typing import Any, Dict, Mapping, Optional

Sections = Mapping[str, Mapping[str, Any]]


def render_config(sections: Sections) -> str:
    out = []
    for name, options in sections.items():
        out.append(f"[{name}]")
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out.append(f"{key} = {value}")
        out.append("")
    return "\n".join(out)


def write_config(path: str, sections: Sections) -> str:
    """Write the INI file atomically (a reload must never see half a file); return path."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(render_config(sections))
    os.replace(tmp, path)
    return path


def quarantine_section(regex: str = r"^X-Spam-Flag: YES", action: str = "discard",
                       **overrides: Any) -> Dict[str, Any]:
    """A quarantine with none storage, notification and whitelist."""
    section: Dict[str, Any] = {
        "regex": regex,
        "quarantine_type": "none",
        "action": action,
        "notification_type": "none",
        "whitelist_type": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": 25,
    }
    section.update(overrides)
    return section


def simple_config(quarantines: Optional[Dict[str, Dict[str, Any]]] = None,
                  preferred: str = "first", **global_options: Any) -> Dict[str, Dict[str, Any]]:
    """[global] + the given quarantine sections (default: one `spam` quarantine that
    discards mail with `X-Spam-Flag: YES`)."""
    quarantines = quarantines if quarantines is not None else {"spam": quarantine_section()}
    sections: Dict[str, Dict[str, Any]] = {
        "global": {"quarantines": list(quarantines), "preferred_quarantine_action": preferred,
                   **global_options}}
    sections.update(quarantines)
    return sections
