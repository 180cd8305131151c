"""Typed settings. Built explicitly (Settings()) by the shells and passed in; nothing reads them at import."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection: str = Field("notes", description="Chroma collection name")
    max_file_bytes: int = Field(2_000_000, description="Notes files larger than this are rejected")
    embed_batch_size: int = Field(16, description="Passages embedded per model call")


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top_k: int = Field(8, description="Passages returned by hybrid retrieval")
    candidates: int = Field(30, description="Candidates taken from each retriever before fusion")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant")
    dense_weight: float = Field(1.0, description="Weight of the dense ranking in fusion")
    lexical_weight: float = Field(1.0, description="Weight of the BM25 ranking in fusion")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_words: int = Field(80, description="Soft cap on a composed answer's length")
    refuse_below: float | None = Field(
        None, description="Support score under which the tutor refuses; None uses the calibrated value"
    )


class QuizSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_hints: int = Field(3, description="Hints before the answer is revealed")


class RephraseSettings(BaseModel):
    """The optional LLM step (used only when `llm` is set): how to call it and how strictly to check it."""

    model_config = ConfigDict(extra="forbid")
    timeout: float = Field(20.0, description="Seconds to wait for the LLM before showing the composed answer")
    max_retries: int = Field(1, description="Retries of a failed LLM call (OpenAI-compatible endpoints)")
    api_key: SecretStr | None = Field(
        None, description="API key of the OpenAI-compatible endpoint; falls back to OPENAI_API_KEY, then none"
    )
    temperature: float = Field(0.0, description="Sampling temperature of the rephrasing")
    max_tokens: int = Field(400, description="Longest rephrasing the LLM may write")
    min_share: float = Field(
        0.7, ge=0.0, le=1.0,
        description="Share of a sentence's content words that its cited passage must hold (numbers and names: all)",
    )


class UISettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = Field("127.0.0.1", description="Address the web UI binds to")
    port: int = Field(7860, description="Port of the web UI")
    max_upload_bytes: int = Field(1_000_000, description="Largest notes file the UI accepts")
    auth: str | None = Field(None, description="'user:password' to require a login when exposed")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUTOR_", env_nested_delimiter="__", extra="forbid")

    corpus: Path = Field(Path("corpus"), description="Folder of notes files (*.md)")
    home: Path = Field(Path(".tutor"), description="Index, BM25 state and progress database")
    chroma_url: str | None = Field(None, description="Use this Chroma server instead of the embedded store")
    llm: str | None = Field(
        None,
        description="Optional LLM that rephrases answers (checked against the cited passages): "
        "'openai:MODEL@BASE_URL' (any OpenAI-compatible server) or 'ollama:MODEL[@BASE_URL]'",
    )
    rephrase: RephraseSettings = RephraseSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    quiz: QuizSettings = QuizSettings()
    ui: UISettings = UISettings()

    @property
    def progress_db(self) -> Path:
        return self.home / "progress.sqlite3"
