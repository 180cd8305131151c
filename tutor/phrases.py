"""Everything the tutor says that is not quoted from the notes: one place for code and tests."""

NOT_COVERED = "Your notes don't cover {topic}."
NOT_COVERED_MARK = "Your notes don't cover"  # sentinel: tests and the UI recognise a refusal by it
YOU_MIGHT_MEAN = "You might mean:"
SOURCES_HEADER = "Sources:"
CHOICE_SUPPORTED = "Your notes support {letters}: {reason}"
CHOICE_OTHERS = "The others do not fit: {reasons}."
CHOICE_OTHER_REASON = "{letter} ({option}) {why}"
CHOICE_WHY_WEAK = "is not what the notes say fits here"
CHOICE_WHY_UNKNOWN = "is not in your notes"
CHOICE_NONE = "Your notes don't say which option fits; the closest passages are below."
META_REPLY = "I answer from your notes; ask me about a topic in them, or start a quiz."
EMPTY_QUESTION = "The question is empty: type a question about your notes."
