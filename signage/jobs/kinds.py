"""Every module that registers job task functions, imported once (web and consumer
must know the same kinds)."""

from ..adoption import jobs as adoption_jobs  # noqa: F401
from ..checkin import jobs as checkin_jobs  # noqa: F401
from ..posters import jobs as posters_jobs  # noqa: F401
from ..screens import jobs as screens_jobs  # noqa: F401
from ..tracing import jobs as tracing_jobs  # noqa: F401
from ..units import jobs as units_jobs  # noqa: F401
from ..units import remind as units_remind  # noqa: F401
from ..venues import jobs as venues_jobs  # noqa: F401
