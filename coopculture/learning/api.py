"""What other feature apps (kit, campaigns, ...) may use of the learning path.

DESIGN.md §4: feature apps never import each other's models. The import contract lets them
import this module only; everything here returns plain values or the selectors' read-only
dataclasses, so that the learning app stays free to change its tables.
"""

from coopculture.learning.selectors import CoopModule, access_coop_module, coop_module_list

__all__ = ["CoopModule", "access_coop_module", "coop_module_list"]
