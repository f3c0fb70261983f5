"""Generated connector packages, one per vendor: ``connectory.connectors.<name>``.

Everything below this package is written by ``connectory generate``; do not edit by hand.
Each connector also ships as its own distribution (``connectory-github``, ...) that installs
into this package; the path is extended so that connectors installed in another
site-packages directory (a user install beside a system one) are found too.
"""

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)
