"""Options of the build_charts plugin, as authors set them in mkdocs.yml.

    plugins:
      - build_charts:
          enabled: true
"""

from mkdocs.config import base
from mkdocs.config import config_options as c


class BuildChartsConfig(base.Config):
    enabled = c.Type(bool, default=True)

    # settings for vendored browser assets (copied from npm's node_modules at build time)
    assets_node_modules = c.Type(str, default="node_modules")
    assets_dir = c.Type(str, default="assets/vendor")

    # settings for the live simulator (Pyodide in a Web Worker; build_charts/live/ and docs/authors.md)
    # Where numpy for Pyodide comes from: "auto" takes local wheels if found, else the opted-in
    # package host, else none (precomputed results only).
    live_numpy_source = c.Choice(("auto", "local", "official", "none"), default="auto")
    # Local Pyodide package directory, used only when PYODIDE_PACKAGES_DIR is unset and the
    # per-user cache directory does not exist; relative to mkdocs.yml.
    live_packages_dir = c.Type(str, default="")
    # Opt-in package host (e.g. the official distribution); "{version}" becomes the pinned
    # Pyodide version. Empty: the site never reads from another origin.
    live_package_base_url = c.Type(str, default="")
    live_time_limit = c.Type(int, default=300)  # seconds a run may take before the worker is restarted
    # Precomputed results are cached here between builds, keyed by a hash of the lab's source;
    # relative to mkdocs.yml; empty turns the cache off.
    live_cache_dir = c.Type(str, default=".cache/build_charts")
