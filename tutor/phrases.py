"""Everything the tutor says that is not quoted from the notes: one place for code and tests."""

NOT_COVERED = "Your notes don't cover {topic}."
NOT_COVERED_MARK = "Your notes don't cover"  # sentinel: tests and the UI recognise a refusal by it
YOU_MIGHT_MEAN = "You might mean:"
CLOSEST = "The closest they come: {quote}"  # a refusal near the notes quotes their closest sentence, cited
# a refusal near the notes: the score is under the bar but not far, and the quote may well be what was asked
MAY_NOT_COVER = "Your notes may not answer {topic} directly."
REFUSAL_OPENINGS = (NOT_COVERED_MARK, MAY_NOT_COVER.split("{")[0].strip())  # how every refusal starts
FOLLOWING = "(asked about {previous})"
SOURCES_HEADER = "Sources:"
STANDS_FOR = "{acronym}: {phrase} [{n}]."  # the notes' own words only, as every cited sentence
CHOICE_SUPPORTED = "Your notes support {reason}."
CHOICE_OTHERS = "The others do not fit: {reasons}."
CHOICE_OTHER_REASON = "{letter} ({option}) {why}"
CHOICE_WHY_WEAK = "is not what the notes say fits here"
CHOICE_WHY_UNKNOWN = "is not in your notes"
CHOICE_WHY_NOTES = 'is, in your notes, "{quote}" [{n}]'
CHOICE_NONE = "Your notes don't say which option fits; the closest passages are below."
CHOICE_NEGATIVE = "Your notes back the other options, not {letters}: {reason}."
# a calculation with the learner's numbers and a rate the notes give (tutor/arithmetic.py), the rate's passage cited
WORKED = "Worked out from your notes: {steps} [{n}]."
WORKED_MORE = "And: {steps} [{n}]."  # a second calculation
CHECKED = "Checked against your notes: {steps} [{n}]."  # the learner's quantity against a limit the notes give
META_REPLY = "I answer from your notes; ask me about a topic in them, or start a quiz."
EMPTY_QUESTION = "The question is empty: type a question about your notes."

# The optional LLM step (tutor/llm.py). Each note says what happened and that the notes' own answer is shown.
LLM_DROPPED = "Rephrased by {model}; {summary}."
LLM_REJECTED = "The rephrasing by {model} was not used ({summary}); this is the answer composed from your notes."
LLM_FAILED = "The language model {model} could not rephrase this answer ({error}); this is the answer composed from your notes."
LLM_NOT_INSTALLED = "the LLM packages are not installed: pip install 'notes-tutor[llm]'"
LLM_BAD_SPEC = "TUTOR_LLM={spec!r} is not 'openai:MODEL@BASE_URL' or 'ollama:MODEL[@BASE_URL]'"
