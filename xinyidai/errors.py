"""The domain error services raise; pages show its message, the API answers with its code."""


class DomainError(Exception):
    """A rule refused an action. `code` is stable for machines, `message` is translated for people."""

    status = 409

    def __init__(self, *, code: str, message, detail=None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.detail = detail or {}
        if status is not None:
            self.status = status


class InvalidTransition(DomainError):
    """An application transition not allowed from its current state or by this actor."""
