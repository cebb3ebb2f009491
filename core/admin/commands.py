"""Router discovery entry point: importing this registers every admin command and button."""

from __future__ import annotations

from core.admin import (  # noqa: F401 - imported for their registrations
    asked,
    broadcast_commands,
    confirm,
    member_commands,
    privacy_commands,
    refund_requests,
    report_commands,
    staff_words,  # noqa: F401, E402 - asked after typed's exact commands
    stats_commands,
    support,
    typed,
)
