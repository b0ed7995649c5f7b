"""`python -m services.payments.acquirer`: run the simulator (settings `KABINET_ACQUIRER_*`)."""

from __future__ import annotations

import uvicorn

from kabinet.logging import configure_logging
from services.payments.acquirer.settings import AcquirerSettings
from services.payments.acquirer.simulator import create_simulator


def main() -> None:
    settings = AcquirerSettings()
    configure_logging("INFO", None, service="acquirer")
    uvicorn.run(
        create_simulator(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
