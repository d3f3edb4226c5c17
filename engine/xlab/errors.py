"""Failures a person can act on, each with a protocol code and the worker's exit code."""

EXIT_CODES = {"BAD_INPUT": 2, "CANCELLED": 3, "OOM": 4, "NON_FINITE": 5, "INTERNAL": 1}


class JobError(Exception):
    """A job stops with ``code`` (BAD_INPUT / OOM / NON_FINITE / CANCELLED / INTERNAL) and ``message``,
    a sentence that says what is wrong and what to do."""

    def __init__(self, code: str, message: str):
        if code not in EXIT_CODES:
            raise ValueError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.code]


def bad_input(message: str) -> JobError:
    return JobError("BAD_INPUT", message)
