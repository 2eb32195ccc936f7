"""The one exception type for user mistakes and missing inputs."""


class IvbError(Exception):
    """A user-facing error: one line that says what is wrong and how to fix it.

    The CLI prints it without a traceback; in a notebook IPython shows only this line
    (through ``_render_traceback_``), so a papermill run stops with a readable message.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))

    def _render_traceback_(self) -> list[str]:  # used by IPython instead of a traceback
        return [f"IvbError: {self}"]
