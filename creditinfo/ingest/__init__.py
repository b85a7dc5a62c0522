"""Reading and checking departmental credit-record files (the interchange format in the README).

`readers` turns bytes into numbered rows (encoding and format detected from the bytes, streamed);
`validation` turns a row into the values stored, or into the reasons it is refused. Neither writes to the
database: creditinfo.services.imports does.
"""

COLUMNS = (
    "source_record_id",
    "uscc",
    "enterprise_name",
    "category",
    "decision_date",
    "severity",
    "title",
    "authority",
    "detail",
    "publish_until",
)


class FileError(Exception):
    """The file as a whole cannot be read (no usable header, not text): the batch fails and nothing is written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
