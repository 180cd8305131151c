"""Errors a learner can read. The core raises them; the CLI and the UI translate them once."""


class TutorError(Exception):
    """Base class: the message is shown to the learner as it is."""


class NotesError(TutorError):
    """A notes file cannot be read or indexed (the message names the file and, when known, the line)."""


class QuestionError(TutorError):
    """The question itself is unusable (empty, only punctuation...)."""


class IndexUnavailable(TutorError):
    """The index (embedded or a Chroma server) cannot be reached or is empty."""


class EvalFileError(TutorError):
    """An eval file has a malformed line (the message names file, line and field)."""
