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
